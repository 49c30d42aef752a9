//! Stable error codes shared by every layer. Each layer has its own
//! `thiserror` type; the API edge maps them to RFC 9457 problem+json using
//! the code a client can switch on.

/// A stable, machine-readable error code (`snake_case`, never renamed once
/// published).
pub trait ErrorCode {
    fn code(&self) -> &'static str;
}
