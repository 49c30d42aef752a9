//! Readers and writers of the outside world's formats, over Read/Write only.

pub mod fec;
