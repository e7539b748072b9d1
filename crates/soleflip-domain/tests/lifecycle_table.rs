//! The inventory lifecycle: every one of the 64 (from, to) pairs, the labels, and the mapping of
//! the old free-text status.

use rstest::rstest;
use soleflip_domain::lifecycle::{
    adopt_state, allowed_next, check_transition, map_legacy_status, AdoptedFrom,
    InventoryState::{self, *},
    TRANSITIONS,
};

/// The expected rule, written out by hand as a grid independent of `TRANSITIONS`.
/// Rows are `from`, columns are `to`, both in enum order:
/// incoming, available, consigned, need_shipping, packed, outgoing, sale_completed, cancelled.
const EXPECTED: [[u8; 8]; 8] = [
    //  inc ava con nee pac out sal can
    [0, 1, 0, 1, 0, 0, 0, 1], // incoming
    [0, 0, 1, 1, 0, 0, 0, 0], // available
    [0, 1, 0, 0, 0, 0, 1, 0], // consigned
    [0, 0, 0, 0, 1, 1, 0, 1], // need_shipping
    [0, 0, 0, 0, 0, 1, 0, 1], // packed
    [0, 0, 0, 0, 0, 0, 1, 1], // outgoing
    [0, 0, 0, 0, 0, 0, 0, 0], // sale_completed
    [1, 1, 0, 0, 0, 0, 0, 0], // cancelled
];

#[test]
fn every_one_of_the_64_pairs_is_allowed_or_refused_as_the_grid_says() {
    let mut checked = 0;
    for (i, from) in InventoryState::ALL.into_iter().enumerate() {
        for (j, to) in InventoryState::ALL.into_iter().enumerate() {
            let result = check_transition(from, to);

            let expected_allowed = EXPECTED[i][j] == 1;
            assert_eq!(result.is_ok(), expected_allowed, "{from} -> {to}");
            checked += 1;
        }
    }
    assert_eq!(checked, 64);
}

#[test]
fn the_transition_table_has_exactly_the_grid_s_sixteen_pairs_and_no_duplicates() {
    let allowed_in_grid = EXPECTED.iter().flatten().filter(|&&cell| cell == 1).count();

    let mut pairs = TRANSITIONS.to_vec();
    pairs.sort();
    pairs.dedup();

    assert_eq!(allowed_in_grid, 16);
    assert_eq!(pairs.len(), TRANSITIONS.len());
    assert_eq!(pairs.len(), allowed_in_grid);
}

#[test]
fn a_refused_transition_names_the_allowed_next_states() {
    let error = check_transition(Available, Outgoing).unwrap_err();

    assert_eq!(error.allowed, vec![Consigned, NeedShipping]);
    assert_eq!(
        error.to_string(),
        "inventory state: available -> outgoing is not allowed; \
         from available the allowed next states are consigned, need_shipping"
    );
}

#[test]
fn staying_in_the_same_state_is_not_a_transition() {
    for state in InventoryState::ALL {
        let result = check_transition(state, state);

        assert!(result.is_err(), "{state} -> {state}");
    }
}

#[test]
fn sale_completed_is_the_only_final_state() {
    let finals: Vec<InventoryState> = InventoryState::ALL
        .into_iter()
        .filter(|s| s.is_final())
        .collect();

    assert_eq!(finals, vec![SaleCompleted]);
    assert!(allowed_next(SaleCompleted).is_empty());
    assert_eq!(
        check_transition(SaleCompleted, Cancelled)
            .unwrap_err()
            .to_string(),
        "inventory state: sale_completed -> cancelled is not allowed; \
         sale_completed is final (no state may follow it)"
    );
}

#[test]
fn a_sale_starts_from_available_consigned_or_a_presale_only() {
    let sale_starts: Vec<InventoryState> = TRANSITIONS
        .iter()
        .filter(|(_, to)| matches!(to, NeedShipping | SaleCompleted))
        .map(|&(from, _)| from)
        .filter(|from| !matches!(from, Outgoing))
        .collect();

    assert_eq!(sale_starts, vec![Incoming, Available, Consigned]);
}

#[test]
fn every_state_can_be_reached_from_incoming() {
    let mut reached = vec![Incoming];
    let mut frontier = vec![Incoming];
    while let Some(state) = frontier.pop() {
        for next in allowed_next(state) {
            if !reached.contains(&next) {
                reached.push(next);
                frontier.push(next);
            }
        }
    }

    reached.sort();
    assert_eq!(reached, InventoryState::ALL.to_vec());
}

#[rstest]
#[case(Incoming, "incoming")]
#[case(Available, "available")]
#[case(Consigned, "consigned")]
#[case(NeedShipping, "need_shipping")]
#[case(Packed, "packed")]
#[case(Outgoing, "outgoing")]
#[case(SaleCompleted, "sale_completed")]
#[case(Cancelled, "cancelled")]
fn each_state_reads_and_writes_the_database_label(
    #[case] state: InventoryState,
    #[case] label: &str,
) {
    let parsed: InventoryState = label.parse().unwrap();
    let json = serde_json::to_string(&state).unwrap();
    let from_json: InventoryState = serde_json::from_str(&json).unwrap();

    assert_eq!(parsed, state);
    assert_eq!(state.to_string(), label);
    assert_eq!(json, format!("\"{label}\""));
    assert_eq!(from_json, state);
}

#[rstest]
#[case("Available")]
#[case(" available")]
#[case("sold")]
#[case("")]
fn a_text_that_is_not_exactly_a_label_is_not_a_state(#[case] text: &str) {
    let result = text.parse::<InventoryState>();

    assert!(result.is_err(), "{text:?}");
}

#[rstest]
#[case("in_stock", Available)]
#[case("listed_stockx", Available)]
#[case("listed_alias", Available)]
#[case("sold", SaleCompleted)]
#[case("presale", Incoming)]
#[case("In Stock", Available)]
#[case(" listed-stockx ", Available)]
#[case("SOLD", SaleCompleted)]
#[case("need_shipping", NeedShipping)]
#[case("cancelled", Cancelled)]
fn each_old_status_text_maps_to_its_documented_state(
    #[case] text: &str,
    #[case] expected: InventoryState,
) {
    let state = map_legacy_status(text).unwrap();

    assert_eq!(state, expected);
}

#[rstest]
#[case("")]
#[case("reserved")]
#[case("listed")]
#[case("in stock?")]
fn an_unknown_old_status_is_refused_and_named(#[case] text: &str) {
    let error = map_legacy_status(text).unwrap_err();

    assert!(error.to_string().contains(&format!("`{text}`")), "{error}");
}

#[test]
fn an_adopted_row_keeps_its_detailed_status_over_its_free_text() {
    let with_enum = adopt_state(Some(NeedShipping), "sold").unwrap();
    let without_enum = adopt_state(None, "sold").unwrap();
    let unknown = adopt_state(None, "on hold");
    let unknown_but_enum_set = adopt_state(Some(Available), "on hold").unwrap();

    assert_eq!(with_enum, (NeedShipping, AdoptedFrom::DetailedStatus));
    assert_eq!(without_enum, (SaleCompleted, AdoptedFrom::LegacyStatus));
    assert!(unknown.is_err());
    assert_eq!(
        unknown_but_enum_set,
        (Available, AdoptedFrom::DetailedStatus)
    );
}

#[test]
fn docs_lifecycle_md_prints_the_same_grid_and_explains_every_allowed_pair() {
    let doc = include_str!("../../../docs/lifecycle.md");

    assert!(
        doc.contains(&soleflip_domain::lifecycle::table_markdown()),
        "docs/lifecycle.md does not hold the current grid:\n{}",
        soleflip_domain::lifecycle::table_markdown()
    );
    for (from, to) in TRANSITIONS {
        let row = format!("| `{from}` → `{to}` |");
        assert!(
            doc.contains(&row),
            "docs/lifecycle.md does not explain {row}"
        );
    }
    for (legacy, state) in soleflip_domain::lifecycle::LEGACY_STATUS {
        let row = format!("| `{legacy}` | `{state}` |");
        assert!(doc.contains(&row), "docs/lifecycle.md does not map {row}");
    }
}
