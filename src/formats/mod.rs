//! Readers and writers of the outside world's formats, over Read/Write only.

pub mod camt;
pub mod cfonb120;
pub mod einvoice;
pub mod fec;
pub mod statement;
pub mod xml;
