//! Chart of accounts [plan comptable] and the role each account plays in the
//! posting rules.
//!
//! The chart is a setting: the default is the French PCG (as amended by
//! ANC 2022-06, in force for years opened from 1 January 2025), and a company
//! may load its own chart from a TOML file. Posting rules never name an
//! account number; they ask [`ChartRoles`] for the account of a role, so a
//! replacement chart changes every entry at once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;

/// Errors of building or loading a chart. A bad chart file is refused whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChartError {
    #[error("chart file is not valid: {0}")]
    Parse(String),
    #[error("account number '{0}' is invalid: expected 1 to 40 ASCII letters or digits")]
    InvalidAccountNumber(String),
    #[error("account '{0}' has an empty label")]
    EmptyLabel(String),
    #[error("account '{0}' appears twice in the chart")]
    DuplicateAccount(String),
    #[error("role '{role}' names account '{account}', which is not in the chart")]
    RoleAccountMissing { role: &'static str, account: String },
}

impl ErrorCode for ChartError {
    fn code(&self) -> &'static str {
        match self {
            ChartError::Parse(_) => "chart_parse",
            ChartError::InvalidAccountNumber(_) => "chart_account_invalid",
            ChartError::EmptyLabel(_) => "chart_label_empty",
            ChartError::DuplicateAccount(_) => "chart_account_duplicate",
            ChartError::RoleAccountMissing { .. } => "chart_role_unknown_account",
        }
    }
}

/// One account [compte] of the general ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub number: String,
    pub label: String,
}

impl Account {
    pub fn new(number: impl Into<String>, label: impl Into<String>) -> Account {
        Account {
            number: number.into(),
            label: label.into(),
        }
    }
}

/// The account used for each role of the posting rules.
///
/// `Default` gives the PCG numbers; in a chart file, a role left out keeps its
/// PCG number, and an unknown role name is an error (a typo must not silently
/// fall back to the default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChartRoles {
    /// 411 Clients: what buyers owe, with the buyer as auxiliary account.
    pub receivable: String,
    /// 416 Clients douteux ou litigieux: receivables in dispute or at risk.
    pub doubtful_receivable: String,
    /// 707 Ventes de marchandises.
    pub sales_goods: String,
    /// 706 Prestations de services.
    pub sales_services: String,
    /// 44571 TVA collectée on our sales.
    pub vat_collected: String,
    /// 44566 TVA déductible sur autres biens et services (factoring fees).
    pub vat_deductible: String,
    /// 512 Banques.
    pub bank: String,
    /// 467 current account with the factor [compte courant factor]: assigned
    /// invoices, advances, fees and charge-backs all pass through it.
    pub factor_current_account: String,
    /// 4678 reserve held by the factor [fonds de garantie]; 275 is the
    /// alternative when the reserve is treated as a deposit.
    pub factor_reserve: String,
    /// 6225 Rémunérations d'affacturage: the factoring commission.
    pub factoring_fees: String,
    /// 661 Charges d'intérêts: the factor's financing charge.
    pub interest_expense: String,
    /// 654 Pertes sur créances irrécouvrables: the final loss, net of VAT.
    pub bad_debt_loss: String,
    /// 7587 Indemnités d'assurance (791 before the 2025 PCG).
    pub insurance_indemnity: String,
    /// 616 Primes d'assurances: the credit-insurance premium.
    pub insurance_premium: String,
    /// 401 Fournisseurs: what we owe the insurer.
    pub insurer_payable: String,
    /// 471 Compte d'attente: cash nobody has identified yet, until a person
    /// assigns it (never left there at closing).
    pub suspense: String,
    /// 4191 Clients - avances et acomptes reçus: deposits asked of risky
    /// buyers, kept apart from 411 so they do not hide open invoices.
    pub customer_credit: String,
    /// 7631 Revenus des créances commerciales: late-payment interest
    /// [pénalités de retard] charged to buyers.
    pub late_interest_income: String,
    /// 7588 Autres produits divers de gestion courante: the fixed recovery
    /// indemnity [indemnité forfaitaire de recouvrement] (791 "transferts de
    /// charges" no longer exists in the 2025 PCG).
    pub recovery_indemnity_income: String,
}

impl Default for ChartRoles {
    fn default() -> Self {
        ChartRoles {
            receivable: "411".into(),
            doubtful_receivable: "416".into(),
            sales_goods: "707".into(),
            sales_services: "706".into(),
            vat_collected: "44571".into(),
            vat_deductible: "44566".into(),
            bank: "512".into(),
            factor_current_account: "467".into(),
            factor_reserve: "4678".into(),
            factoring_fees: "6225".into(),
            interest_expense: "661".into(),
            bad_debt_loss: "654".into(),
            insurance_indemnity: "7587".into(),
            insurance_premium: "616".into(),
            insurer_payable: "401".into(),
            suspense: "471".into(),
            customer_credit: "4191".into(),
            late_interest_income: "7631".into(),
            recovery_indemnity_income: "7588".into(),
        }
    }
}

impl ChartRoles {
    /// Every role with its account, named as in the chart file.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("receivable", self.receivable.as_str()),
            ("doubtful_receivable", &self.doubtful_receivable),
            ("sales_goods", &self.sales_goods),
            ("sales_services", &self.sales_services),
            ("vat_collected", &self.vat_collected),
            ("vat_deductible", &self.vat_deductible),
            ("bank", &self.bank),
            ("factor_current_account", &self.factor_current_account),
            ("factor_reserve", &self.factor_reserve),
            ("factoring_fees", &self.factoring_fees),
            ("interest_expense", &self.interest_expense),
            ("bad_debt_loss", &self.bad_debt_loss),
            ("insurance_indemnity", &self.insurance_indemnity),
            ("insurance_premium", &self.insurance_premium),
            ("insurer_payable", &self.insurer_payable),
            ("suspense", &self.suspense),
            ("customer_credit", &self.customer_credit),
            ("late_interest_income", &self.late_interest_income),
            ("recovery_indemnity_income", &self.recovery_indemnity_income),
        ]
        .into_iter()
    }
}

/// PCG accounts of the default chart, with their French labels.
const PCG_ACCOUNTS: &[(&str, &str)] = &[
    ("275", "Dépôts et cautionnements versés"),
    ("401", "Fournisseurs"),
    ("411", "Clients"),
    ("416", "Clients douteux ou litigieux"),
    ("4191", "Clients - Avances et acomptes reçus sur commandes"),
    ("44566", "TVA déductible sur autres biens et services"),
    ("44571", "TVA collectée"),
    ("467", "Autres comptes débiteurs ou créditeurs"),
    ("4678", "Fonds de garantie affacturage"),
    ("471", "Compte d'attente"),
    ("512", "Banques"),
    ("616", "Primes d'assurances"),
    ("6225", "Rémunérations d'affacturage"),
    ("654", "Pertes sur créances irrécouvrables"),
    ("661", "Charges d'intérêts"),
    ("706", "Prestations de services"),
    ("707", "Ventes de marchandises"),
    ("7587", "Indemnités d'assurance"),
    ("7588", "Autres produits divers de gestion courante"),
    ("7631", "Revenus des créances commerciales"),
];

/// A chart of accounts with the roles the posting rules use. Always
/// consistent: every role names an account of the chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chart {
    accounts: BTreeMap<String, Account>,
    roles: ChartRoles,
}

/// Shape of a chart file: `[[account]]` tables and an optional `[roles]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChartFile {
    #[serde(default)]
    account: Vec<Account>,
    #[serde(default)]
    roles: ChartRoles,
}

impl Chart {
    /// Builds a chart, refusing malformed or duplicate numbers, empty labels
    /// and roles that name an account the chart lacks.
    pub fn new(
        accounts: impl IntoIterator<Item = Account>,
        roles: ChartRoles,
    ) -> Result<Chart, ChartError> {
        let mut map = BTreeMap::new();
        for account in accounts {
            let n = &account.number;
            if n.is_empty() || n.len() > 40 || !n.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(ChartError::InvalidAccountNumber(
                    n.chars().take(40).collect(),
                ));
            }
            if account.label.trim().is_empty() {
                return Err(ChartError::EmptyLabel(account.number));
            }
            if map.contains_key(n) {
                return Err(ChartError::DuplicateAccount(account.number));
            }
            map.insert(account.number.clone(), account);
        }
        if let Some((role, account)) = roles.iter().find(|(_, a)| !map.contains_key(*a)) {
            return Err(ChartError::RoleAccountMissing {
                role,
                account: account.to_string(),
            });
        }
        Ok(Chart {
            accounts: map,
            roles,
        })
    }

    /// The default French chart [PCG] with the default roles.
    pub fn pcg_default() -> Chart {
        let accounts = PCG_ACCOUNTS
            .iter()
            .map(|(n, l)| (n.to_string(), Account::new(*n, *l)));
        // Built directly: the constant table is checked by a unit test, so
        // this path needs no error handling.
        Chart {
            accounts: accounts.collect(),
            roles: ChartRoles::default(),
        }
    }

    /// Loads a replacement chart:
    ///
    /// ```toml
    /// [[account]]
    /// number = "411"
    /// label = "Clients"
    ///
    /// [roles]
    /// receivable = "411"
    /// ```
    pub fn from_toml_str(text: &str) -> Result<Chart, ChartError> {
        let file: ChartFile = toml::from_str(text).map_err(|e| ChartError::Parse(e.to_string()))?;
        Chart::new(file.account, file.roles)
    }

    pub fn account(&self, number: &str) -> Option<&Account> {
        self.accounts.get(number)
    }

    pub fn contains(&self, number: &str) -> bool {
        self.accounts.contains_key(number)
    }

    /// The label of an account, or "" when the chart lacks it (an account
    /// removed from the chart after entries were posted to it).
    pub fn label_of(&self, number: &str) -> &str {
        self.accounts.get(number).map_or("", |a| a.label.as_str())
    }

    pub fn roles(&self) -> &ChartRoles {
        &self.roles
    }

    /// Accounts in number order (string order, as the PCG classes sort).
    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }
}

/// The default journals [journaux]. An entry's journal is a free code so a
/// company may keep its own; these are the ones the posting rules use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum JournalCode {
    /// VE: sales invoices and credit notes [Ventes].
    #[serde(rename = "VE")]
    Sales,
    /// BQ: bank movements [Banque].
    #[serde(rename = "BQ")]
    Bank,
    /// OD: adjustments, write-offs, reclassifications [Opérations diverses].
    #[serde(rename = "OD")]
    Miscellaneous,
    /// FA: movements on the factor's current account [Affacturage].
    #[serde(rename = "FA")]
    Factoring,
    /// AS: premiums, claims and indemnities [Assurance-crédit].
    #[serde(rename = "AS")]
    CreditInsurance,
}

impl JournalCode {
    pub const ALL: [JournalCode; 5] = [
        JournalCode::Sales,
        JournalCode::Bank,
        JournalCode::Miscellaneous,
        JournalCode::Factoring,
        JournalCode::CreditInsurance,
    ];

    pub fn code(self) -> &'static str {
        match self {
            JournalCode::Sales => "VE",
            JournalCode::Bank => "BQ",
            JournalCode::Miscellaneous => "OD",
            JournalCode::Factoring => "FA",
            JournalCode::CreditInsurance => "AS",
        }
    }

    /// The French label, as written in the FEC's JournalLib column.
    pub fn label(self) -> &'static str {
        match self {
            JournalCode::Sales => "Ventes",
            JournalCode::Bank => "Banque",
            JournalCode::Miscellaneous => "Opérations diverses",
            JournalCode::Factoring => "Affacturage",
            JournalCode::CreditInsurance => "Assurance-crédit",
        }
    }

    pub fn from_code(code: &str) -> Option<JournalCode> {
        JournalCode::ALL.into_iter().find(|j| j.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcg_default_is_what_chart_new_would_accept() {
        let built = Chart::new(
            PCG_ACCOUNTS.iter().map(|(n, l)| Account::new(*n, *l)),
            ChartRoles::default(),
        )
        .unwrap();
        assert_eq!(built, Chart::pcg_default());
        assert_eq!(built.accounts().count(), 20);
    }

    #[test]
    fn pcg_roles_and_labels() {
        let chart = Chart::pcg_default();
        let roles = chart.roles();
        assert_eq!(chart.label_of(&roles.receivable), "Clients");
        assert_eq!(
            chart.label_of(&roles.doubtful_receivable),
            "Clients douteux ou litigieux"
        );
        assert_eq!(chart.label_of(&roles.sales_goods), "Ventes de marchandises");
        assert_eq!(
            chart.label_of(&roles.sales_services),
            "Prestations de services"
        );
        assert_eq!(chart.label_of(&roles.vat_collected), "TVA collectée");
        assert_eq!(chart.label_of("512"), "Banques");
        assert_eq!(roles.factor_reserve, "4678");
        assert_eq!(roles.insurance_indemnity, "7587");
        assert_eq!(chart.label_of("999"), "");
        assert!(chart.account("411").is_some() && chart.account("4110").is_none());
    }

    #[test]
    fn accounts_iterate_in_number_order() {
        let chart = Chart::pcg_default();
        let numbers: Vec<&str> = chart.accounts().map(|a| a.number.as_str()).collect();
        assert_eq!(&numbers[..4], ["275", "401", "411", "416"]);
        assert_eq!(numbers.last(), Some(&"7631"));
    }

    /// A full PCG chart in TOML, with `extra` appended to the roles table.
    fn pcg_toml(extra_accounts: &str, roles: &str) -> String {
        let mut text = String::new();
        for (n, l) in PCG_ACCOUNTS {
            text.push_str(&format!("[[account]]\nnumber = \"{n}\"\nlabel = \"{l}\"\n"));
        }
        text.push_str(extra_accounts);
        text.push_str("[roles]\n");
        text.push_str(roles);
        text
    }

    #[test]
    fn toml_chart_overrides_some_roles_and_defaults_the_rest() {
        let extra = "[[account]]\nnumber = \"411000\"\nlabel = \"Clients France\"\n\
                     [[account]]\nnumber = \"5121\"\nlabel = \"Banque principale\"\n";
        let chart = Chart::from_toml_str(&pcg_toml(
            extra,
            "receivable = \"411000\"\nbank = \"5121\"\n",
        ))
        .unwrap();
        assert_eq!(chart.roles().receivable, "411000");
        assert_eq!(chart.roles().bank, "5121");
        assert_eq!(chart.roles().vat_collected, "44571");
        assert_eq!(chart.label_of("5121"), "Banque principale");
        assert_eq!(chart.accounts().count(), 22);
    }

    #[test]
    fn toml_role_naming_a_missing_account_is_refused_with_the_role_named() {
        let err = Chart::from_toml_str(&pcg_toml("", "bank = \"5121\"\n")).unwrap_err();
        assert_eq!(
            err,
            ChartError::RoleAccountMissing {
                role: "bank",
                account: "5121".into()
            }
        );
        assert_eq!(err.code(), "chart_role_unknown_account");
        assert!(err.to_string().contains("'bank'"));
    }

    #[test]
    fn a_chart_without_a_defaulted_role_account_is_refused() {
        // Only 411 given: the first role whose PCG default is missing is named.
        let err = Chart::from_toml_str("[[account]]\nnumber = \"411\"\nlabel = \"Clients\"\n")
            .unwrap_err();
        assert_eq!(
            err,
            ChartError::RoleAccountMissing {
                role: "doubtful_receivable",
                account: "416".into()
            }
        );
    }

    #[test]
    fn toml_typos_and_bad_accounts_are_refused() {
        let typo = Chart::from_toml_str(&pcg_toml("", "recievable = \"411\"\n")).unwrap_err();
        assert_eq!(typo.code(), "chart_parse");
        assert!(typo.to_string().contains("recievable"));

        let dup = pcg_toml(
            "[[account]]\nnumber = \"411\"\nlabel = \"Clients bis\"\n",
            "",
        );
        assert_eq!(
            Chart::from_toml_str(&dup).unwrap_err(),
            ChartError::DuplicateAccount("411".into())
        );

        let spaced = pcg_toml("[[account]]\nnumber = \"41 1\"\nlabel = \"x\"\n", "");
        assert_eq!(
            Chart::from_toml_str(&spaced).unwrap_err().code(),
            "chart_account_invalid"
        );

        let unlabeled = pcg_toml("[[account]]\nnumber = \"4111\"\nlabel = \" \"\n", "");
        assert_eq!(
            Chart::from_toml_str(&unlabeled).unwrap_err(),
            ChartError::EmptyLabel("4111".into())
        );

        assert_eq!(
            Chart::from_toml_str("[[account]\n").unwrap_err().code(),
            "chart_parse"
        );
    }

    #[test]
    fn role_names_are_spelled_as_in_the_chart_file() {
        let json = serde_json::to_value(ChartRoles::default()).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut names: Vec<&str> = ChartRoles::default().iter().map(|(role, _)| role).collect();
        names.sort_unstable();
        assert_eq!(keys, names);
        assert_eq!(names.len(), 19);
    }

    #[test]
    fn journal_codes_round_trip() {
        for j in JournalCode::ALL {
            assert_eq!(JournalCode::from_code(j.code()), Some(j));
        }
        assert_eq!(JournalCode::Sales.code(), "VE");
        assert_eq!(JournalCode::Miscellaneous.label(), "Opérations diverses");
        assert_eq!(JournalCode::CreditInsurance.label(), "Assurance-crédit");
        assert_eq!(JournalCode::from_code("XX"), None);
        assert_eq!(
            serde_json::to_string(&JournalCode::Factoring).unwrap(),
            "\"FA\""
        );
    }
}
