-- 0010_variant_catalog: one row per product and size, the identifiers that name it, how each
-- retail offer was matched to one, and what the last arbitrage run reported.
--
-- Why: a retail offer (an AWIN row is one size of one product) and a resale price (StockX
-- quotes per variant) meet only at "this product in this size". products.sizes cannot be that
-- meeting point: its rows are labels on a brand's chart ("US M 9" and "EU 42.5" are two rows
-- for one foot), and they are shared by every product of the brand. A variant is the foot size
-- of one product, named by a size key that every label of the same foot reads to:
--   * a shoe size: `EU <standardized value>` (the brand-aware EU size with one decimal, as
--     products.sizes.standardized_value holds it: `EU 42.5`, `EU 44.7` for 44 2/3);
--   * any other label (apparel, one size): `<region> <value>` as the size row writes it.
-- The size key is computed by integration.variant_size_key() in one place, for the SQL that
-- creates variants from size rows and for the matching that reads retail sizes.
--
-- The matching cascade (soleflip match run) records each decision in integration.offer_matches:
-- a GTIN match, a style code + size match, a manual one, a proposal waiting for review, or a
-- rejection, which is remembered so that the same offer and variant are not proposed again.
--
-- Adopt-safe: everything here is new; nothing existing is changed or filled.

create table products.variants (
    id          uuid         not null default gen_random_uuid(),
    product_id  uuid         not null,
    size_key    varchar(40)  not null,
    cohort      varchar(10)  not null default 'unisex',
    size_id     uuid,
    created_at  timestamptz  not null default now(),
    updated_at  timestamptz  not null default now(),
    constraint variants_pkey primary key (id),
    constraint variants_product_size_key unique (product_id, size_key),
    constraint variants_product_id_fkey foreign key (product_id)
        references products.products (id) on delete cascade,
    constraint variants_size_id_fkey foreign key (size_id)
        references products.sizes (id) on delete set null,
    constraint chk_variants_cohort check (cohort in ('M', 'W', 'GS', 'PS', 'TD', 'unisex')),
    constraint chk_variants_size_key check (size_key <> '')
);
create index idx_variants_size_id on products.variants (size_id);
create trigger update_variants_updated_at before update on products.variants
    for each row execute function core.update_updated_at_column();
comment on table products.variants is
    'The variant catalog: one row per product and foot size (size_key), whatever label names it; carries its GTINs (variant_gtins) and marketplace and retailer ids (variant_ids).';
comment on column products.variants.size_key is
    'The size every label of this foot reads to: `EU <value>` for a shoe size on the brand''s chart (one decimal), else `<region> <value>` (integration.variant_size_key).';
comment on column products.variants.cohort is
    'M, W, GS, PS, TD or unisex, as the size reading or the marketplace gave it.';
comment on column products.variants.size_id is
    'A size row of this foot on the product''s brand chart (the one prices and pairs of the variant use when they are written for it); NULL when none exists yet.';

create table products.variant_gtins (
    gtin        varchar(14)  not null,
    variant_id  uuid         not null,
    source      varchar(20)  not null,
    created_at  timestamptz  not null default now(),
    constraint variant_gtins_pkey primary key (gtin),
    constraint variant_gtins_variant_id_fkey foreign key (variant_id)
        references products.variants (id) on delete cascade,
    constraint chk_variant_gtins_gtin check (gtin ~ '^[0-9]{14}$'),
    constraint chk_variant_gtins_source check (source in ('stockx', 'awin', 'manual'))
);
create index idx_variant_gtins_variant on products.variant_gtins (variant_id);
comment on table products.variant_gtins is
    'Every GTIN of a variant, padded to GTIN-14: one GTIN names one product in one size, so a lookup resolves both.';
comment on column products.variant_gtins.source is
    'Who told us: stockx (catalog sync), awin (an offer matched by style code and size), manual (a match accepted by hand).';

create table products.variant_ids (
    source       varchar(20)   not null,
    scope        varchar(60)   not null default '',
    external_id  varchar(200)  not null,
    variant_id   uuid          not null,
    created_at   timestamptz   not null default now(),
    constraint variant_ids_pkey primary key (source, scope, external_id),
    constraint variant_ids_variant_id_fkey foreign key (variant_id)
        references products.variants (id) on delete cascade,
    constraint chk_variant_ids_source check (source in ('stockx', 'goat', 'alias', 'awin'))
);
create index idx_variant_ids_variant on products.variant_ids (variant_id);
comment on table products.variant_ids is
    'The ids marketplaces and retailers give a variant: StockX variantId (scope empty), a retailer''s merchant_product_id (source awin, scope the merchant id).';
comment on column products.variant_ids.scope is
    'Where the id is unique: empty for a marketplace''s global ids, the merchant id for a retailer''s own ids.';

-- The size key of a size row's label: the one definition (see the header).
create function integration.variant_size_key(region text, value text, standardized numeric)
returns varchar(40)
language sql
immutable parallel safe
as $$
    select (case
                when standardized is not null then 'EU ' || trim(to_char(standardized, 'FM990.0'))
                else left(region || ' ' || value, 40)
            end)::varchar(40)
$$;
comment on function integration.variant_size_key(text, text, numeric) is
    'The variant size key of a size label: `EU <standardized value>` for a shoe size read on its brand chart, else `<region> <value>`.';

create table integration.offer_matches (
    id                   uuid         not null default gen_random_uuid(),
    offer_id             uuid         not null,
    variant_id           uuid,
    product_id           uuid,
    status               varchar(10)  not null,
    method               varchar(12)  not null,
    reason               text,
    decided_by           uuid,
    created_at           timestamptz  not null default now(),
    decided_at           timestamptz,
    constraint offer_matches_pkey primary key (id),
    constraint offer_matches_offer_id_fkey foreign key (offer_id)
        references integration.awin_products (id) on delete cascade,
    constraint offer_matches_variant_id_fkey foreign key (variant_id)
        references products.variants (id) on delete cascade,
    constraint offer_matches_product_id_fkey foreign key (product_id)
        references products.products (id) on delete cascade,
    constraint offer_matches_decided_by_fkey foreign key (decided_by)
        references auth.users (id) on delete set null,
    constraint chk_offer_matches_status check (status in ('matched', 'review', 'rejected')),
    constraint chk_offer_matches_method check (method in ('gtin', 'style_size', 'manual')),
    constraint chk_offer_matches_matched_variant check (status <> 'matched' or variant_id is not null)
);
-- One live decision per offer (a match or a proposal); rejections accumulate beside it.
-- (Written as <> 'rejected' rather than an IN list: PostgreSQL prints an IN list differently
-- after a dump is restored, and backup verification compares definitions.)
create unique index uq_offer_matches_live on integration.offer_matches (offer_id)
    where status <> 'rejected';
create unique index uq_offer_matches_rejected on integration.offer_matches (offer_id, variant_id)
    where status = 'rejected';
create index idx_offer_matches_offer on integration.offer_matches (offer_id);
create index idx_offer_matches_variant on integration.offer_matches (variant_id);
create index idx_offer_matches_product on integration.offer_matches (product_id);
create index idx_offer_matches_decided_by on integration.offer_matches (decided_by);
create index idx_offer_matches_review on integration.offer_matches (created_at)
    where status = 'review';
comment on table integration.offer_matches is
    'How each retail offer (integration.awin_products) was matched to a variant: by GTIN, by style code and a size that agrees, by hand, or proposed for review; rejected pairs are kept so they are not proposed again.';
comment on column integration.offer_matches.status is
    'matched (the offer is this variant), review (a proposal or an open question, see reason), rejected (a person said this offer is not this variant).';
comment on column integration.offer_matches.method is
    'How the decision was made: gtin (the offer''s GTIN is the variant''s), style_size (style code and a brand-aware size that agrees), manual (accepted or rejected by a person).';
comment on column integration.offer_matches.product_id is
    'The product the style code names, when the size is what is in question (a review row without a variant).';
comment on column integration.offer_matches.reason is
    'Why a proposal needs review (e.g. an ambiguous size), in words.';
comment on column integration.offer_matches.decided_by is
    'The user who accepted or rejected it (NULL for the automatic cascade).';

create table integration.arbitrage_seen (
    merchant_id         integer        not null,
    variant_id          uuid           not null,
    platform            varchar(20)    not null,
    offer_id            uuid           not null,
    buy_cost            numeric(12,2)  not null,
    profit_now          numeric(12,2),
    profit_list         numeric(12,2),
    first_seen_at       timestamptz    not null default now(),
    last_reported_at    timestamptz    not null default now(),
    constraint arbitrage_seen_pkey primary key (merchant_id, variant_id, platform),
    constraint arbitrage_seen_variant_id_fkey foreign key (variant_id)
        references products.variants (id) on delete cascade
);
create index idx_arbitrage_seen_variant on integration.arbitrage_seen (variant_id);
comment on table integration.arbitrage_seen is
    'What `arbitrage list --new` last reported per retailer (merchant), variant (product and size) and resale platform: an opportunity is shown again only when it is new or its cost or profit changed materially.';
comment on column integration.arbitrage_seen.offer_id is
    'The offer last reported for this retailer and variant (no foreign key: an offer a feed drops leaves its memory in place).';
comment on column integration.arbitrage_seen.buy_cost is
    'The buy cost last reported, in the resale currency.';
comment on column integration.arbitrage_seen.profit_now is
    'The sell-now profit (at the highest bid) last reported, in the resale currency.';
comment on column integration.arbitrage_seen.profit_list is
    'The listed profit (at the lowest ask) last reported, in the resale currency.';
