//! The inventory lifecycle: the eight states of `products.inventory_status` (the column
//! `products.inventory.detailed_status`) and the transitions allowed between them.
//!
//! The rule is one readable table, [`TRANSITIONS`]: a move is allowed exactly when its
//! `(from, to)` pair is in it. Everything else, including staying in the same state, is
//! refused with the states that *are* allowed next. `docs/lifecycle.md` explains every pair,
//! and the mapping of the old free-text `status` values ([`map_legacy_status`]).
//!
//! ```
//! use soleflip_domain::lifecycle::{check_transition, InventoryState::*};
//!
//! assert!(check_transition(Available, NeedShipping).is_ok());
//! let refused = check_transition(SaleCompleted, Available).unwrap_err();
//! assert_eq!(
//!     refused.to_string(),
//!     "inventory state: sale_completed -> available is not allowed; \
//!      sale_completed is final (no state may follow it)"
//! );
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where one physical pair is. The labels are those of the PostgreSQL enum
/// `products.inventory_status`, in its declaration order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InventoryState {
    /// Bought (or coming back to us) and on its way; not in hand yet.
    Incoming,
    /// In hand and sellable; it may have listings on any number of platforms.
    Available,
    /// Held by a consignment platform that sells and ships it for us.
    Consigned,
    /// Sold; we still have to ship it.
    NeedShipping,
    /// Sold, packed and labelled; not handed to the carrier yet.
    Packed,
    /// Sold and handed to the carrier, on its way to the buyer or the platform's check.
    Outgoing,
    /// Sold, accepted and paid out. Final.
    SaleCompleted,
    /// The sale (or the purchase) fell through; the pair is ours again.
    Cancelled,
}

use InventoryState::{
    Available, Cancelled, Consigned, Incoming, NeedShipping, Outgoing, Packed, SaleCompleted,
};

impl InventoryState {
    /// Every state, in the enum's declaration order.
    pub const ALL: [InventoryState; 8] = [
        Incoming,
        Available,
        Consigned,
        NeedShipping,
        Packed,
        Outgoing,
        SaleCompleted,
        Cancelled,
    ];

    /// The label PostgreSQL stores.
    pub const fn label(self) -> &'static str {
        match self {
            Incoming => "incoming",
            Available => "available",
            Consigned => "consigned",
            NeedShipping => "need_shipping",
            Packed => "packed",
            Outgoing => "outgoing",
            SaleCompleted => "sale_completed",
            Cancelled => "cancelled",
        }
    }

    /// True for a state no transition leaves.
    pub fn is_final(self) -> bool {
        allowed_next(self).is_empty()
    }
}

impl fmt::Display for InventoryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A text that is not one of the eight labels.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("inventory state: `{0}` is not a state (expected one of incoming, available, consigned, need_shipping, packed, outgoing, sale_completed, cancelled)")]
pub struct UnknownState(pub String);

impl FromStr for InventoryState {
    type Err = UnknownState;

    /// Exactly the database label: no case folding, no trimming (the enum has neither).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        InventoryState::ALL
            .into_iter()
            .find(|state| state.label() == s)
            .ok_or_else(|| UnknownState(s.to_owned()))
    }
}

/// The allowed transitions, grouped by the state they leave. This is the rule; the database
/// trigger of the ledger migration is written from the same list.
pub const TRANSITIONS: [(InventoryState, InventoryState); 16] = [
    // the purchase arrives, is sold before it arrives (presale), or is cancelled
    (Incoming, Available),
    (Incoming, NeedShipping),
    (Incoming, Cancelled),
    // sent into consignment, or sold
    (Available, Consigned),
    (Available, NeedShipping),
    // taken back from consignment, or sold and shipped by the platform
    (Consigned, Available),
    (Consigned, SaleCompleted),
    // packed, shipped straight away, or the sale is cancelled before it leaves
    (NeedShipping, Packed),
    (NeedShipping, Outgoing),
    (NeedShipping, Cancelled),
    (Packed, Outgoing),
    (Packed, Cancelled),
    // accepted and paid, or refused / returned
    (Outgoing, SaleCompleted),
    (Outgoing, Cancelled),
    // the pair is back in hand, or on its way back to us
    (Cancelled, Available),
    (Cancelled, Incoming),
];

/// The states `from` may move to, in [`InventoryState::ALL`] order. Empty for a final state.
pub fn allowed_next(from: InventoryState) -> Vec<InventoryState> {
    InventoryState::ALL
        .into_iter()
        .filter(|&to| TRANSITIONS.contains(&(from, to)))
        .collect()
}

/// The rule as a Markdown grid (rows: from, columns: to; `✓` allowed, `·` refused), as printed
/// in `docs/lifecycle.md` (a test keeps the two equal).
pub fn table_markdown() -> String {
    let mut out = String::from("| from \\ to |");
    for to in InventoryState::ALL {
        out.push_str(&format!(" {to} |"));
    }
    out.push_str("\n|---|");
    out.push_str(&":-:|".repeat(InventoryState::ALL.len()));
    out.push('\n');
    for from in InventoryState::ALL {
        out.push_str(&format!("| **{from}** |"));
        for to in InventoryState::ALL {
            let mark = if TRANSITIONS.contains(&(from, to)) {
                "✓"
            } else {
                "·"
            };
            out.push_str(&format!(" {mark} |"));
        }
        out.push('\n');
    }
    out
}

/// A transition that is not in [`TRANSITIONS`].
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error, Serialize)]
#[error("inventory state: {from} -> {to} is not allowed; {}", next_states(*.from, .allowed))]
pub struct TransitionError {
    /// The state the pair is in.
    pub from: InventoryState,
    /// The state that was asked for.
    pub to: InventoryState,
    /// What `from` may move to instead.
    pub allowed: Vec<InventoryState>,
}

fn next_states(from: InventoryState, allowed: &[InventoryState]) -> String {
    if allowed.is_empty() {
        return format!("{from} is final (no state may follow it)");
    }
    let names: Vec<&str> = allowed.iter().map(|state| state.label()).collect();
    format!(
        "from {from} the allowed next states are {}",
        names.join(", ")
    )
}

/// Allowed when `(from, to)` is in [`TRANSITIONS`]; otherwise the error names the allowed
/// next states. Staying in the same state is not a transition and is refused.
pub fn check_transition(from: InventoryState, to: InventoryState) -> Result<(), TransitionError> {
    if TRANSITIONS.contains(&(from, to)) {
        Ok(())
    } else {
        Err(TransitionError {
            from,
            to,
            allowed: allowed_next(from),
        })
    }
}

/// The old free-text `products.inventory.status` values and the state each maps to
/// (documented in `docs/lifecycle.md`). The eight enum labels also map to themselves.
pub const LEGACY_STATUS: [(&str, InventoryState); 5] = [
    ("in_stock", Available),
    ("listed_stockx", Available),
    ("listed_alias", Available),
    ("sold", SaleCompleted),
    ("presale", Incoming),
];

/// An old `status` text this mapping does not know.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("inventory status: `{0}` has no mapping to a lifecycle state (known: in_stock, listed_stockx, listed_alias, sold, presale, or a state label)")]
pub struct UnknownLegacyStatus(pub String);

/// Maps an old free-text `status` to a state. Surrounding blanks and letter case are ignored,
/// and `-` or a space count as `_` (`In Stock` is `in_stock`); anything else unknown is refused
/// rather than guessed.
pub fn map_legacy_status(text: &str) -> Result<InventoryState, UnknownLegacyStatus> {
    let key: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '-' | ' ' => '_',
            other => other.to_ascii_lowercase(),
        })
        .collect();
    LEGACY_STATUS
        .iter()
        .find(|(legacy, _)| *legacy == key)
        .map(|&(_, state)| state)
        .or_else(|| key.parse().ok())
        .ok_or_else(|| UnknownLegacyStatus(text.to_owned()))
}

/// How an adopted row got its state.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdoptedFrom {
    /// The row had a `detailed_status`; it wins.
    DetailedStatus,
    /// `detailed_status` was NULL; the free-text `status` was mapped.
    LegacyStatus,
}

/// The state an adopted `products.inventory` row starts in: its `detailed_status` when set
/// (the enum was the newer, more precise column), else its mapped free-text `status`.
/// The caller keeps the original `status` text in the row's first event either way.
pub fn adopt_state(
    detailed_status: Option<InventoryState>,
    status: &str,
) -> Result<(InventoryState, AdoptedFrom), UnknownLegacyStatus> {
    match detailed_status {
        Some(state) => Ok((state, AdoptedFrom::DetailedStatus)),
        None => map_legacy_status(status).map(|state| (state, AdoptedFrom::LegacyStatus)),
    }
}
