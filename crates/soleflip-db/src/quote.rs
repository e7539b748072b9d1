//! Quoting for the few statements whose names or literals cannot be parameters (DDL, `ALTER
//! SYSTEM`, `CREATE ROLE`): every such name or value is quoted here and nowhere else.

/// Quotes an SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes a string literal (standard_conforming_strings, on since PostgreSQL 9.1: a backslash
/// is an ordinary character).
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
