//! Readers and writers of the outside world's formats, over Read/Write only.

pub mod einvoice;
pub mod fec;
pub mod xml;
