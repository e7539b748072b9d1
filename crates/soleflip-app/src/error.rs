//! Stable error codes. Every area of the app layer has its own error enum; each variant has one
//! machine code from [`Code`], the same word the CLI maps to an exit code and the HTTP API will
//! map to a status, each in one place. Messages name the object at fault, never a CLI flag.

use serde::Serialize;

/// The machine-readable kind of a failure. The words are part of the interface: scripts and API
/// clients match on them, so a code is never renamed once released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// A value given by the caller is malformed or out of range.
    InvalidInput,
    /// The thing named does not exist (a user, a product, a database, an embedded cluster).
    NotFound,
    /// The request contradicts the state of the data (already managed, not empty, half archived).
    Conflict,
    /// A destructive action needs an explicit confirmation the caller did not give.
    ConfirmationRequired,
    /// The database differs from what its migrations promise.
    Drift,
    /// An applied migration's file has changed since it was applied.
    ChecksumMismatch,
    /// A backup file does not match its manifest, or a restore differs from it.
    Corrupt,
    /// The database server cannot be reached, or refused the login.
    Unavailable,
    /// Something needed on this machine is missing (PostgreSQL binaries, a client program).
    MissingDependency,
    /// No valid credentials were given (no session, a wrong password, an expired token).
    Unauthenticated,
    /// The credentials are valid but their role does not allow the action.
    Forbidden,
    /// Too many failed attempts: wait before trying again.
    RateLimited,
    /// A request body larger than the limit.
    TooLarge,
    /// Anything else: a bug or an environment failure, with its chain of causes.
    Unexpected,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidInput => "invalid_input",
            Code::NotFound => "not_found",
            Code::Conflict => "conflict",
            Code::ConfirmationRequired => "confirmation_required",
            Code::Drift => "drift",
            Code::ChecksumMismatch => "checksum_mismatch",
            Code::Corrupt => "corrupt",
            Code::Unavailable => "unavailable",
            Code::MissingDependency => "missing_dependency",
            Code::Unauthenticated => "unauthenticated",
            Code::Forbidden => "forbidden",
            Code::RateLimited => "rate_limited",
            Code::TooLarge => "too_large",
            Code::Unexpected => "unexpected",
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error that knows its code.
pub trait Coded {
    fn code(&self) -> Code;
}

/// The code of an error chain: the first error in it whose type knows its code (an area error of
/// this crate, or one of the lower layers' errors the app lets through); `unexpected` otherwise.
pub fn code_of(error: &(dyn std::error::Error + 'static)) -> Code {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(code) = known_code(e) {
            return code;
        }
        next = e.source();
    }
    Code::Unexpected
}

fn known_code(e: &(dyn std::error::Error + 'static)) -> Option<Code> {
    macro_rules! try_types {
        ($($t:ty),* $(,)?) => {
            $(if let Some(x) = e.downcast_ref::<$t>() { return Some(x.code()); })*
        };
    }
    try_types!(
        crate::db::DbError,
        crate::backup::BackupError,
        crate::prices::PricesError,
        crate::users::UserError,
        crate::sizes::SizesError,
        crate::docs::DocsError,
        crate::ledger::LedgerError,
        crate::imports::ImportError,
        crate::auth::AuthError,
        crate::awin::FeedError,
        crate::matching::MatchError,
        crate::stockx::StockxError,
        soleflip_pg::PgError,
        soleflip_db::target::ConnectError,
        soleflip_db::target::TargetError,
    );
    // A driver error carried inside another (an `anyhow` context): a lost database is still
    // "unavailable", whichever use case met it.
    if let Some(x) = e.downcast_ref::<sqlx::Error>() {
        if crate::db::lost_database(x) {
            return Some(Code::Unavailable);
        }
    }
    None
}

impl Coded for crate::backup::BackupError {
    fn code(&self) -> Code {
        use crate::backup::BackupError as E;
        match self {
            E::Corrupt { .. } => Code::Corrupt,
            E::NoManifest { .. } | E::BadManifest { .. } => Code::InvalidInput,
            E::NotEmpty { .. } => Code::ConfirmationRequired,
            E::ClientTooOld { .. } => Code::MissingDependency,
            E::ArchivingOff | E::NotEmbedded { .. } => Code::Conflict,
            E::BadInput { .. } => Code::InvalidInput,
            E::Unexpected(e) => code_of(e.as_ref()),
        }
    }
}

impl Coded for crate::prices::PricesError {
    fn code(&self) -> Code {
        use crate::prices::PricesError as E;
        match self {
            E::UnknownCurrency(_)
            | E::Size { .. }
            | E::UnknownSource(_)
            | E::BadDuration { .. } => Code::InvalidInput,
            E::HalfArchived { .. } | E::NotMigrated { .. } | E::Busy(_) => Code::Conflict,
            E::NoProduct(_) => Code::NotFound,
            E::Unexpected(e) => code_of(e.as_ref()),
        }
    }
}

impl Coded for soleflip_pg::PgError {
    fn code(&self) -> Code {
        use soleflip_pg::PgError as E;
        match self {
            E::BinariesNotFound { .. } | E::BadBinDir { .. } | E::TooOld { .. } => {
                Code::MissingDependency
            }
            E::NoServerUser => Code::MissingDependency,
            _ => Code::Unexpected,
        }
    }
}

impl Coded for soleflip_db::target::ConnectError {
    fn code(&self) -> Code {
        match self {
            soleflip_db::target::ConnectError::NoDatabase { .. } => Code::NotFound,
            _ => Code::Unavailable,
        }
    }
}

impl Coded for soleflip_db::target::TargetError {
    fn code(&self) -> Code {
        Code::InvalidInput
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_of_a_wrapped_error_is_found_through_its_chain() {
        let inner = crate::users::UserError::NoSuchUser("nobody".into());
        let wrapped = anyhow::Error::new(inner).context("setting a password");
        assert_eq!(code_of(wrapped.as_ref()), Code::NotFound);
        let plain = anyhow::anyhow!("disk on fire");
        assert_eq!(code_of(plain.as_ref()), Code::Unexpected);
    }

    #[test]
    fn a_database_that_cannot_be_reached_is_unavailable_whichever_area_met_it() {
        let refused = || {
            sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "connection refused",
            ))
        };
        let auth = crate::auth::AuthError::from(sqlx::Error::PoolTimedOut);
        let ledger = crate::ledger::LedgerError::from(refused());
        let db = crate::db::DbError::from(refused());
        let bug = crate::ledger::LedgerError::from(sqlx::Error::RowNotFound);

        assert_eq!(code_of(&auth), Code::Unavailable);
        assert_eq!(code_of(&ledger), Code::Unavailable);
        assert_eq!(code_of(&db), Code::Unavailable);
        assert_eq!(code_of(&bug), Code::Unexpected);
    }

    #[test]
    fn codes_serialize_as_their_stable_words() {
        for code in [
            Code::InvalidInput,
            Code::ChecksumMismatch,
            Code::ConfirmationRequired,
        ] {
            assert_eq!(
                serde_json::to_value(code).ok(),
                Some(serde_json::Value::String(code.as_str().to_string()))
            );
        }
    }
}
