-- The staging tables of one import run (outcome: NULL while a line is on its way in, which it
-- is when the merge ends; `present` or `rejected` otherwise) (dropped at the end of its transaction):
-- import_sales holds the report's lines as the importer read them (rejected ones with their
-- reason), plus what the merge resolves for each (product, size, pair, order);
-- inventory_event_rows gives the events of the pairs the merge creates or moves their own
-- time, reason and order (migration 8, products.record_inventory_events).
create temp table import_sales (
    line_no        bigint not null,
    rejected       text,
    order_number   text not null,
    sold_at        timestamptz,
    payout_at      timestamptz,
    style          text,
    style_alt      text,
    item           text not null,
    brand_slug     text,
    size_text      text not null,
    cohort         text not null,
    region         text not null,
    value          text not null,
    parsed         text,
    standardized   numeric(4,1),
    currency       text not null,
    price          numeric(12,2) not null,
    payout         numeric(12,2),
    flagged        boolean not null,
    f1_amount numeric(12,2), f1_source text, f1_rate numeric(7,4), f1_row text,
    f2_amount numeric(12,2), f2_source text, f2_rate numeric(7,4), f2_row text,
    f3_amount numeric(12,2), f3_source text, f3_rate numeric(7,4), f3_row text,
    f4_amount numeric(12,2), f4_source text, f4_rate numeric(7,4), f4_row text,
    f5_amount numeric(12,2), f5_source text, f5_rate numeric(7,4), f5_row text,
    f6_amount numeric(12,2), f6_source text, f6_rate numeric(7,4), f6_row text,
    buyer_country  text,
    buyer_city     text,
    -- resolved by the merge
    outcome        text,
    product_id     uuid,
    size_id        uuid,
    -- the new pair's id, unless the sale takes a pair in stock (then pair_state is set)
    pair_id        uuid not null default gen_random_uuid(),
    pair_state     products.inventory_status,
    listing_id     uuid,
    order_id       uuid not null default gen_random_uuid()
) on commit drop;

create temp table inventory_event_rows (
    inventory_id  uuid primary key,
    occurred_at   timestamptz,
    reason        text,
    order_id      uuid
) on commit drop;

create temp table import_run (
    batch_id     uuid not null,
    platform     text not null,
    platform_id  uuid not null,
    category_id  uuid not null
) on commit drop;
