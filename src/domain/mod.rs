//! Pure business rules: no I/O, no database. Each module takes facts and
//! returns decisions, so every rule is tested on its own.

pub mod aging;
pub mod cover;
pub mod dunning;
pub mod factoring;
pub mod ids;
pub mod insurance_money;
pub mod intake;
pub mod invoice;
pub mod keyed;
pub mod kpi;
pub mod matching;
pub mod outbox;
pub mod party;
pub mod payment;
pub mod penalties;
pub mod risk;
pub mod statement;
pub mod terms;
