//! Pure business rules of SoleFlip, with no I/O: sizes (parse, convert, standardize) and,
//! later, money, fees and identifiers (`gtin`). Depends on no other SoleFlip crate and on nothing that
//! touches a file, a socket or a database.

pub mod fees;
pub mod gtin;
pub mod lifecycle;
pub mod money;
pub mod sizes;
