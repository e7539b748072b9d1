-- 0006_ledger: the item-first ledger (issue 13).
--
-- Every physical pair is one products.inventory row, from the invoice line it was bought on to
-- the order it was sold in. This migration adds, on a fresh database and on an adopted one full
-- of real rows alike (nothing is deleted; derived values are recomputed at query time):
--   1. the lifecycle, enforced: products.inventory_transitions() lists the 16 allowed
--      (from, to) pairs of soleflip_domain::lifecycle::TRANSITIONS (a Rust test keeps the two
--      equal), and a trigger refuses every other change of detailed_status, whoever sends it;
--   2. products.inventory_events, append-only: one row per state a pair enters (item, from,
--      to, when, by whom, why, which order or listing), written by a trigger, so no state
--      change goes unrecorded. Aging, shelf life and days in each state are computed from it;
--      a pair's first event (from_state NULL, exactly one) is when it entered the books;
--   3. platforms.listings: a pair's asks on any platform (one pair, many listings);
--   4. transactions.orders references the pair it sold and optionally its listing, on any
--      platform (listing_id, the old StockX listing, is no longer required), and carries its
--      currency and payout;
--   5. transactions.order_fee_lines, and the invariant sale_price - sum(fee lines) = payout,
--      to the cent, checked at commit by a deferred constraint trigger;
--   6. transactions.purchases and transactions.purchase_lines: the invoice and its lines; each
--      pair points at its line and carries its cost basis;
--   7. the stored analytics (shelf_life_days, roi_percentage, profit_per_shelf_day) are gone:
--      shelf life went stale for unsold pairs and read 0 instead of NULL without a purchase
--      date (greatest(NULL, 0) is 0). The reports compute them from events and orders.
--
-- Decisions, and why:
--   * Adopted free-text status values map as docs/lifecycle.md says (products.legacy_inventory_
--     state, the SQL twin of soleflip_domain::lifecycle::map_legacy_status); detailed_status
--     wins when set. A text with no mapping does not stop the migration (a migration must keep
--     every row and cannot ask a person): the pair keeps detailed_status NULL ("state unknown"),
--     and its first event says so. Leaving NULL for a state is refused; entering any state from
--     NULL is allowed, so a person can place such a pair.
--   * Every adopted pair gets one first event (from NULL) holding its original status text in
--     legacy_status, stamped at its purchase date (else its creation), so that its age counts
--     from when it entered our books.
--   * The free-text status follows the state from here on (the trigger writes the label), so
--     the two columns no longer contradict each other; the adopted text is kept in the event.
--   * Who moved a pair, why, and for which order or listing are transaction-local settings
--     (soleflip.user_id, soleflip.reason, soleflip.order_id, soleflip.listing_id,
--     soleflip.event_at) that the application sets before it writes; a bare UPDATE is still
--     recorded, with those fields NULL.
--   * Adopted orders get fee lines from the fees they reported (seller_fee, else platform_fee,
--     as the transaction fee; processing_fee; shipping_cost), payout = net_proceeds when known,
--     else the sale price minus those lines, and a `derived` line with the remainder when the
--     reported numbers do not add up (flagged in payout_flagged). So the invariant holds for
--     every order. Their currency is taken as EUR (the old system kept none and sold in
--     Europe); the pair they sold is unknown (inventory_id NULL).
--   * Adopted pairs marked listed on StockX or Alias (listed_stockx/listed_alias, or the
--     status text) get an active listing on that platform without a price (it was not kept).
--   * A platform row `manual` (sales outside a marketplace: private, local) is added, the
--     fee schedule's 0 % platform.
--   * fee lines may be negative (a refund, a derived remainder); the application refuses
--     negative input. Amounts are numeric(12,2); currencies three capital letters.
--
-- How the file is meant to run (as the migrations before it): the runner wraps it in one
-- transaction; every name is schema-qualified; no extensions.

-- ---------------------------------------------------------------------------------------
-- 1. stored analytics out (before the adopted rows are touched, so they are not recomputed)
-- ---------------------------------------------------------------------------------------
drop trigger trigger_sale_inventory_analytics on transactions.transactions;
drop function products.refresh_inventory_analytics_after_sale();
drop trigger trigger_calculate_inventory_analytics on products.inventory;
drop function products.calculate_inventory_analytics();
drop function products.inventory_analytics(uuid, timestamptz, numeric);
drop index products.idx_inventory_roi;
drop index products.idx_inventory_shelf_life;
alter table products.inventory
    drop column shelf_life_days,
    drop column profit_per_shelf_day,
    drop column roi_percentage;

-- ---------------------------------------------------------------------------------------
-- 2. the rule: allowed transitions and the legacy mapping
-- ---------------------------------------------------------------------------------------

-- The 16 pairs of soleflip_domain::lifecycle::TRANSITIONS, in the same order.
create function products.inventory_transitions()
returns table (from_state products.inventory_status, to_state products.inventory_status)
language sql immutable
as $$
    select f::products.inventory_status, t::products.inventory_status
    from (values
        ('incoming', 'available'),
        ('incoming', 'need_shipping'),
        ('incoming', 'cancelled'),
        ('available', 'consigned'),
        ('available', 'need_shipping'),
        ('consigned', 'available'),
        ('consigned', 'sale_completed'),
        ('need_shipping', 'packed'),
        ('need_shipping', 'outgoing'),
        ('need_shipping', 'cancelled'),
        ('packed', 'outgoing'),
        ('packed', 'cancelled'),
        ('outgoing', 'sale_completed'),
        ('outgoing', 'cancelled'),
        ('cancelled', 'available'),
        ('cancelled', 'incoming')
    ) as pairs (f, t)
$$;

-- The old free-text status as a state (docs/lifecycle.md): blanks around and letter case are
-- ignored, '-' and ' ' read as '_'; one of the eight labels maps to itself; NULL otherwise.
create function products.legacy_inventory_state(p_status text)
returns products.inventory_status
language sql immutable
as $$
    select case k
        when 'in_stock' then 'available'
        when 'listed_stockx' then 'available'
        when 'listed_alias' then 'available'
        when 'sold' then 'sale_completed'
        when 'presale' then 'incoming'
        when 'incoming' then 'incoming'
        when 'available' then 'available'
        when 'consigned' then 'consigned'
        when 'need_shipping' then 'need_shipping'
        when 'packed' then 'packed'
        when 'outgoing' then 'outgoing'
        when 'sale_completed' then 'sale_completed'
        when 'cancelled' then 'cancelled'
    end::products.inventory_status
    from (select translate(lower(btrim(p_status)), '- ', '__') as k) as key
$$;

-- ---------------------------------------------------------------------------------------
-- 3. new tables and columns
-- ---------------------------------------------------------------------------------------
insert into core.platforms as p (name, slug) values ('Manual', 'manual')
on conflict (slug) do nothing;

create table transactions.purchases (
    id              uuid           not null default gen_random_uuid(),
    supplier_id     uuid,
    supplier_name   varchar(100),
    invoice_number  varchar(100),
    invoice_date    date           not null,
    currency        varchar(3)     not null,
    vat_treatment   varchar(10)    not null default 'regular',
    shipping        numeric(12,2)  not null default 0,
    discount        numeric(12,2)  not null default 0,
    notes           text,
    created_at      timestamptz    not null default now(),
    updated_at      timestamptz    not null default now(),
    constraint purchases_pkey primary key (id),
    constraint chk_purchases_currency check (currency ~ '^[A-Z]{3}$'),
    constraint chk_purchases_vat_treatment check (vat_treatment in ('regular', 'margin')),
    constraint chk_purchases_shipping check (shipping >= 0),
    constraint chk_purchases_discount check (discount >= 0),
    constraint purchases_supplier_id_fkey foreign key (supplier_id)
        references core.suppliers (id) on delete set null
);

create table transactions.purchase_lines (
    id           uuid           not null default gen_random_uuid(),
    purchase_id  uuid           not null,
    line_no      integer        not null,
    product_id   uuid           not null,
    size_id      uuid           not null,
    quantity     integer        not null,
    net          numeric(12,2)  not null,
    vat_rate     numeric(5,2)   not null default 0,
    vat          numeric(12,2)  not null default 0,
    gross        numeric(12,2)  not null,
    created_at   timestamptz    not null default now(),
    constraint purchase_lines_pkey primary key (id),
    constraint uq_purchase_lines_line unique (purchase_id, line_no),
    constraint chk_purchase_lines_quantity check (quantity > 0),
    constraint chk_purchase_lines_net check (net >= 0),
    constraint chk_purchase_lines_vat_rate check (vat_rate >= 0 and vat_rate < 100),
    constraint chk_purchase_lines_gross check (gross = net + vat),
    constraint purchase_lines_purchase_id_fkey foreign key (purchase_id)
        references transactions.purchases (id) on delete cascade,
    constraint purchase_lines_product_id_fkey foreign key (product_id)
        references products.products (id) on delete restrict,
    constraint purchase_lines_size_id_fkey foreign key (size_id)
        references products.sizes (id) on delete restrict
);

alter table products.inventory
    alter column status drop not null,
    add column purchase_line_id uuid,
    add column cost_basis numeric(12,2),
    add column currency varchar(3) not null default 'EUR',
    add constraint chk_inventory_currency check (currency ~ '^[A-Z]{3}$'),
    add constraint inventory_purchase_line_id_fkey foreign key (purchase_line_id)
        references transactions.purchase_lines (id) on delete restrict;

create table platforms.listings (
    id            uuid           not null default gen_random_uuid(),
    inventory_id  uuid           not null,
    platform_id   uuid           not null,
    price         numeric(12,2),
    currency      varchar(3)     not null,
    status        varchar(10)    not null default 'active',
    listed_at     timestamptz    not null default now(),
    ended_at      timestamptz,
    external_id   varchar(200),
    created_at    timestamptz    not null default now(),
    updated_at    timestamptz    not null default now(),
    constraint listings_pkey primary key (id),
    constraint chk_listings_status check (status in ('active', 'ended', 'sold')),
    constraint chk_listings_ended check ((status = 'active') = (ended_at is null)),
    constraint chk_listings_price check (price is null or price >= 0),
    constraint chk_listings_currency check (currency ~ '^[A-Z]{3}$'),
    constraint listings_inventory_id_fkey foreign key (inventory_id)
        references products.inventory (id) on delete cascade,
    constraint listings_platform_id_fkey foreign key (platform_id)
        references core.platforms (id) on delete restrict
);

alter table transactions.orders
    alter column listing_id drop not null,
    add column inventory_id uuid,
    add column pair_listing_id uuid,
    add column currency varchar(3) not null default 'EUR',
    add column payout numeric(12,2),
    add column payout_flagged boolean not null default false,
    add constraint chk_orders_currency check (currency ~ '^[A-Z]{3}$'),
    add constraint orders_inventory_id_fkey foreign key (inventory_id)
        references products.inventory (id) on delete restrict,
    add constraint orders_pair_listing_id_fkey foreign key (pair_listing_id)
        references platforms.listings (id) on delete restrict;

create table transactions.order_fee_lines (
    id            uuid           not null default gen_random_uuid(),
    order_id      uuid           not null,
    kind          varchar(20)    not null,
    amount        numeric(12,2)  not null,
    currency      varchar(3)     not null,
    source        varchar(10)    not null,
    rate_pct      numeric(7,4),
    schedule_row  varchar(40),
    created_at    timestamptz    not null default now(),
    constraint order_fee_lines_pkey primary key (id),
    constraint chk_order_fee_lines_kind check (kind in ('transaction_fee', 'payment_processing',
        'shipping', 'minimum_fee_topup', 'cash_out', 'other')),
    constraint chk_order_fee_lines_source check (source in ('reported', 'schedule', 'derived')),
    constraint chk_order_fee_lines_currency check (currency ~ '^[A-Z]{3}$'),
    constraint order_fee_lines_order_id_fkey foreign key (order_id)
        references transactions.orders (id) on delete cascade
);

create table products.inventory_events (
    id             uuid                       not null default gen_random_uuid(),
    inventory_id   uuid                       not null,
    from_state     products.inventory_status,
    to_state       products.inventory_status,
    occurred_at    timestamptz                not null default now(),
    user_id        uuid,
    reason         text,
    order_id       uuid,
    listing_id     uuid,
    legacy_status  text,
    constraint inventory_events_pkey primary key (id),
    constraint inventory_events_inventory_id_fkey foreign key (inventory_id)
        references products.inventory (id) on delete cascade,
    constraint inventory_events_user_id_fkey foreign key (user_id)
        references auth.users (id) on delete restrict,
    constraint inventory_events_order_id_fkey foreign key (order_id)
        references transactions.orders (id) on delete restrict,
    constraint inventory_events_listing_id_fkey foreign key (listing_id)
        references platforms.listings (id) on delete restrict
);

-- ---------------------------------------------------------------------------------------
-- 4. adopted rows: first events, states, listings, orders (before the triggers exist, and
--    without bumping updated_at: these are the migration's writes, not business edits)
-- ---------------------------------------------------------------------------------------
insert into products.inventory_events
    (inventory_id, from_state, to_state, occurred_at, reason, legacy_status)
select i.id, null,
       coalesce(i.detailed_status, products.legacy_inventory_state(i.status)),
       coalesce(i.purchase_date, i.created_at),
       case
           when i.detailed_status is not null then 'adopted: state from detailed_status'
           when products.legacy_inventory_state(i.status) is not null
               then 'adopted: state from the status text'
           else 'adopted: the status text has no mapping; state unknown'
       end,
       i.status
from products.inventory i;

alter table products.inventory disable trigger update_inventory_updated_at;
update products.inventory
   set detailed_status = products.legacy_inventory_state(status)
 where detailed_status is null and products.legacy_inventory_state(status) is not null;
alter table products.inventory enable trigger update_inventory_updated_at;

insert into platforms.listings (inventory_id, platform_id, currency, listed_at)
select i.id, p.id, i.currency, coalesce(i.purchase_date, i.created_at)
from products.inventory i
join core.platforms p
  on (p.slug = 'stockx' and (i.listed_stockx
                             or translate(lower(btrim(i.status)), '- ', '__') = 'listed_stockx'))
  or (p.slug = 'alias' and (i.listed_alias
                            or translate(lower(btrim(i.status)), '- ', '__') = 'listed_alias'))
where i.detailed_status in ('incoming', 'available', 'consigned');

insert into transactions.order_fee_lines (order_id, kind, amount, currency, source, created_at)
select o.id, f.kind, f.amount, o.currency, 'reported', o.created_at
from transactions.orders o
cross join lateral (values
    ('transaction_fee', coalesce(o.seller_fee, o.platform_fee)),
    ('payment_processing', o.processing_fee),
    ('shipping', o.shipping_cost)
) as f (kind, amount)
where f.amount is not null and f.amount <> 0;

alter table transactions.orders disable trigger update_orders_updated_at;
update transactions.orders o
   set payout = coalesce(o.net_proceeds, o.sale_price - r.total),
       payout_flagged = o.net_proceeds is not null and o.sale_price - r.total <> o.net_proceeds
  from (select o2.id, coalesce(sum(f.amount), 0) as total
          from transactions.orders o2
          left join transactions.order_fee_lines f on f.order_id = o2.id
         group by o2.id) r
 where r.id = o.id;
alter table transactions.orders enable trigger update_orders_updated_at;

insert into transactions.order_fee_lines (order_id, kind, amount, currency, source, created_at)
select o.id, 'other', o.sale_price - coalesce(r.total, 0) - o.payout, o.currency, 'derived',
       o.created_at
from transactions.orders o
left join (select order_id, sum(amount) as total
             from transactions.order_fee_lines group by order_id) r on r.order_id = o.id
where o.payout_flagged;

-- ---------------------------------------------------------------------------------------
-- 5. triggers
-- ---------------------------------------------------------------------------------------

-- Before a write of a pair: a new pair without a state takes its status text's mapping; a
-- change of state must be one of the allowed pairs (from "unknown" any state may be entered;
-- no state may be left for "unknown"); the status text follows the state.
create function products.enforce_inventory_lifecycle() returns trigger
language plpgsql
as $$
declare
    allowed text;
begin
    if tg_op = 'INSERT' then
        if new.detailed_status is null then
            new.detailed_status := products.legacy_inventory_state(new.status);
        end if;
        if new.detailed_status is not null then
            new.status := new.detailed_status::text;
        end if;
        return new;
    end if;
    if new.detailed_status is not distinct from old.detailed_status then
        return new;
    end if;
    if new.detailed_status is null
       or (old.detailed_status is not null
           and not exists (select 1 from products.inventory_transitions() t
                           where t.from_state = old.detailed_status
                             and t.to_state = new.detailed_status)) then
        select coalesce(string_agg(t.to_state::text, ', ' order by t.to_state), '')
          into allowed
          from products.inventory_transitions() t
         where t.from_state = old.detailed_status;
        raise exception using
            errcode = 'check_violation',
            constraint = 'inventory_lifecycle',
            message = format('inventory state: %s -> %s is not allowed; %s',
                             coalesce(old.detailed_status::text, 'unknown'),
                             coalesce(new.detailed_status::text, 'unknown'),
                             case when allowed = ''
                                  then old.detailed_status::text
                                       || ' is final (no state may follow it)'
                                  else 'from ' || old.detailed_status::text
                                       || ' the allowed next states are ' || allowed
                             end),
            detail = format('inventory %s', old.id);
    end if;
    new.status := new.detailed_status::text;
    return new;
end;
$$;

create trigger trigger_enforce_inventory_lifecycle
    before insert or update of detailed_status on products.inventory
    for each row execute function products.enforce_inventory_lifecycle();

-- After a pair is created or changes state: its event, with the context the application set
-- for the transaction (empty settings read as NULL).
create function products.record_inventory_event() returns trigger
language plpgsql
as $$
begin
    insert into products.inventory_events
        (inventory_id, from_state, to_state, occurred_at, user_id, reason, order_id, listing_id)
    values (
        new.id,
        case when tg_op = 'UPDATE' then old.detailed_status end,
        new.detailed_status,
        coalesce(nullif(current_setting('soleflip.event_at', true), '')::timestamptz, now()),
        nullif(current_setting('soleflip.user_id', true), '')::uuid,
        nullif(current_setting('soleflip.reason', true), ''),
        nullif(current_setting('soleflip.order_id', true), '')::uuid,
        nullif(current_setting('soleflip.listing_id', true), '')::uuid);
    return null;
end;
$$;

create trigger trigger_inventory_event_on_insert
    after insert on products.inventory
    for each row execute function products.record_inventory_event();
create trigger trigger_inventory_event_on_move
    after update of detailed_status on products.inventory
    for each row when (old.detailed_status is distinct from new.detailed_status)
    execute function products.record_inventory_event();

-- Events are never changed, and removed only together with their pair (the cascade of a
-- deleted inventory row, whose row is gone by the time the cascade runs).
create function products.inventory_events_append_only() returns trigger
language plpgsql
as $$
begin
    if tg_op = 'DELETE'
       and not exists (select 1 from products.inventory i where i.id = old.inventory_id) then
        return old;
    end if;
    raise exception using
        errcode = 'check_violation',
        constraint = 'inventory_events_append_only',
        message = format('inventory_events is append-only: %s of event %s refused',
                         lower(tg_op), old.id);
end;
$$;

create trigger trigger_inventory_events_append_only
    before update or delete on products.inventory_events
    for each row execute function products.inventory_events_append_only();

-- The balance of one order: sale_price - sum(fee lines) = payout, all in the order's currency.
-- An order without a payout (not known yet) has nothing to balance; a deleted one neither.
create function transactions.check_order_balance(p_order uuid) returns void
language plpgsql
as $$
declare
    o record;
begin
    select ord.sale_price, ord.payout, ord.currency,
           coalesce(sum(f.amount), 0) as fees,
           coalesce(bool_or(f.currency <> ord.currency), false) as other_currency
      into o
      from transactions.orders ord
      left join transactions.order_fee_lines f on f.order_id = ord.id
     where ord.id = p_order
     group by ord.id;
    if not found or o.payout is null then
        return;
    end if;
    if o.other_currency then
        raise exception using
            errcode = 'check_violation',
            constraint = 'order_balance',
            message = format('order %s: a fee line is not in the order''s currency %s',
                             p_order, o.currency);
    end if;
    if o.sale_price - o.fees <> o.payout then
        raise exception using
            errcode = 'check_violation',
            constraint = 'order_balance',
            message = format('order %s: sale price %s - fee lines %s = %s, but the payout is %s %s',
                             p_order, o.sale_price, o.fees, o.sale_price - o.fees, o.payout,
                             o.currency);
    end if;
end;
$$;

create function transactions.check_order_balance_of_order() returns trigger
language plpgsql
as $$
begin
    perform transactions.check_order_balance(new.id);
    return null;
end;
$$;

create function transactions.check_order_balance_of_fee_line() returns trigger
language plpgsql
as $$
begin
    if tg_op in ('UPDATE', 'DELETE') then
        perform transactions.check_order_balance(old.order_id);
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        perform transactions.check_order_balance(new.order_id);
    end if;
    return null;
end;
$$;

create constraint trigger trigger_order_balance
    after insert or update of sale_price, payout, currency on transactions.orders
    deferrable initially deferred
    for each row execute function transactions.check_order_balance_of_order();
create constraint trigger trigger_order_fee_line_balance
    after insert or update or delete on transactions.order_fee_lines
    deferrable initially deferred
    for each row execute function transactions.check_order_balance_of_fee_line();

create trigger update_purchases_updated_at before update on transactions.purchases
    for each row execute function core.update_updated_at_column();
create trigger update_listings_updated_at before update on platforms.listings
    for each row execute function core.update_updated_at_column();

-- ---------------------------------------------------------------------------------------
-- 6. indexes: every foreign key, and what the reports read
-- ---------------------------------------------------------------------------------------
create index idx_purchases_supplier_id on transactions.purchases (supplier_id);
create index idx_purchase_lines_product_id on transactions.purchase_lines (product_id);
create index idx_purchase_lines_size_id on transactions.purchase_lines (size_id);
create index idx_inventory_purchase_line_id on products.inventory (purchase_line_id);
create index idx_listings_inventory_id on platforms.listings (inventory_id);
create index idx_listings_platform_id on platforms.listings (platform_id);
-- at most one active listing of a pair per platform
create unique index uq_listings_active_per_platform
    on platforms.listings (inventory_id, platform_id) where status = 'active';
create index idx_orders_inventory_id on transactions.orders (inventory_id);
create index idx_orders_pair_listing_id on transactions.orders (pair_listing_id);
create index idx_order_fee_lines_order_id on transactions.order_fee_lines (order_id);
create index idx_inventory_events_inventory_at
    on products.inventory_events (inventory_id, occurred_at);
-- A pair's first event (from_state NULL: it was created or adopted) is unique: it is when the
-- pair entered the books, which ages and days to sell count from. The second index finds the
-- oldest pairs without reading every pair.
create unique index uq_inventory_events_first
    on products.inventory_events (inventory_id) include (occurred_at) where from_state is null;
create index idx_inventory_events_first_at
    on products.inventory_events (occurred_at) where from_state is null;
create index idx_inventory_events_user_id on products.inventory_events (user_id);
create index idx_inventory_events_order_id on products.inventory_events (order_id);
create index idx_inventory_events_listing_id on products.inventory_events (listing_id);
create index idx_inventory_detailed_status on products.inventory (detailed_status);

-- ---------------------------------------------------------------------------------------
-- 7. comments
-- ---------------------------------------------------------------------------------------
comment on table transactions.purchases is
    'Purchase invoices: supplier, invoice number and date, currency, VAT treatment (regular or margin scheme), shipping and discounts shared over the lines.';
comment on table transactions.purchase_lines is
    'Lines of a purchase invoice: product, size, quantity, net, VAT rate, VAT and gross (line totals); each pair bought is one products.inventory row pointing here.';
comment on table platforms.listings is
    'Asks of one pair on any platform (one pair, many listings): price, currency, active/ended/sold; a sale ends the pair''s other listings.';
comment on table transactions.order_fee_lines is
    'What a platform kept of one order, line by line: kind, amount, currency, and whether reported by the platform, computed from the fee schedule or derived (the remainder that makes the order balance).';
comment on table products.inventory_events is
    'Append-only history of every pair: each state it entered (from, to), when, by whom, why, and the order or listing concerned; the first event of an adopted pair keeps its old status text.';
comment on table products.inventory is
    'Every physical pair, in stock or sold: product, size, purchase line and cost basis, lifecycle state (detailed_status, enforced by trigger), location; its history is products.inventory_events.';
comment on table transactions.orders is
    'Sales orders on all platforms: the pair sold, optionally its listing, platform, sale price, payout (sale price minus the fee lines), shipping and status.';

comment on column products.inventory.detailed_status is
    'Lifecycle state; changes only along products.inventory_transitions() (trigger), each recorded in products.inventory_events. NULL: adopted with a status text that has no mapping.';
comment on column products.inventory.status is
    'The state''s label since migration 6 (kept equal by trigger); an adopted row keeps its old free text until it moves (the text is also in its first event).';
comment on column products.inventory.purchase_line_id is
    'The invoice line the pair was bought on (NULL: adopted, or entered without an invoice).';
comment on column products.inventory.cost_basis is
    'What the pair cost: its share of the line''s net (gross under the margin scheme) plus its share of shipping minus discounts, in currency. NULL for adopted pairs (purchase_price is used).';
comment on column products.inventory.currency is
    'Currency of cost_basis and purchase_price (adopted pairs: EUR).';
comment on column transactions.orders.listing_id is
    'The StockX listing (platforms.stockx_listings) of an order imported by the old system; NULL otherwise.';
comment on column transactions.orders.inventory_id is
    'The pair sold (NULL: adopted from the old system, which did not record it).';
comment on column transactions.orders.pair_listing_id is
    'The listing (platforms.listings) the pair sold through, if any.';
comment on column transactions.orders.payout is
    'What the platform pays out: sale_price minus the sum of the order''s fee lines, to the cent (checked at commit).';
comment on column transactions.orders.payout_flagged is
    'True when the given payout did not balance with the reported and scheduled fees, and a derived fee line makes up the difference.';
comment on column transactions.orders.currency is
    'Currency of the sale price, fee lines and payout (adopted orders: EUR).';
comment on column products.inventory_events.legacy_status is
    'The old free-text status of an adopted pair, in its first event only.';

comment on function products.inventory_transitions() is
    'The allowed lifecycle transitions (from_state, to_state): soleflip_domain::lifecycle::TRANSITIONS, kept equal by a test.';
comment on function products.legacy_inventory_state(text) is
    'The lifecycle state an old free-text status maps to (docs/lifecycle.md), or NULL.';
comment on function products.enforce_inventory_lifecycle() is
    'Trigger function: refuses a change of detailed_status that is not an allowed transition; keeps status equal to the state''s label.';
comment on function products.record_inventory_event() is
    'Trigger function: appends the event of a pair created or moved, with the transaction''s soleflip.* context.';
comment on function products.inventory_events_append_only() is
    'Trigger function: refuses updating or deleting an inventory event (except with its deleted pair).';
comment on function transactions.check_order_balance(uuid) is
    'Raises unless sale_price - sum(fee lines) = payout for the order (orders without a payout pass).';
comment on function transactions.check_order_balance_of_order() is
    'Constraint trigger function (deferred): checks the balance of a written order.';
comment on function transactions.check_order_balance_of_fee_line() is
    'Constraint trigger function (deferred): checks the balance of the order of a written fee line.';
