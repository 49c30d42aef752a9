-- Dated rates: exchange rates ("USD/EUR": 1 USD in EUR) and reference
-- rates ("EURIBOR3M"), as decimal text. One value per series and day.
CREATE TABLE rates (
    series TEXT NOT NULL,
    on_date DATE NOT NULL,
    value TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (series, on_date)
);
