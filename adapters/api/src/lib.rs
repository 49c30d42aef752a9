pub const CRATE: &str = "factorgate-adapter";
