-- 0001_consolidated_v1: the database of the earlier Python/Alembic system (revision
-- `consolidated_v1`), rebuilt as plain SQL.
--
-- Why this migration is deliberately imperfect:
--   Existing installs were built by the old system. To adopt them later, migration 1 must
--   produce the very same catalog, so it reproduces that database *as built*, defects
--   included (duplicate/redundant indexes, unindexed foreign keys, json next to jsonb, a
--   CHECK that calls now(), a trigger function in public, the latest_prices view that
--   ignores size, the placeholder ROI, no updated_at triggers). Each reproduced defect is
--   marked "DEFECT (as built)" below; migration 2 fixes them.
--   The one intentional difference: the seeded admin's hashed_password is a locked marker
--   that no hash scheme accepts (the old bcrypt hash matched no known password anyway), so
--   the account can only be used after `soleflip user set-password admin`.
--
-- How the file is meant to run:
--   * The migration runner wraps it in one transaction and sends it as one multi-statement
--     simple query, so there is no begin/commit here and no version table (the runner keeps
--     its own; the old public.alembic_version is not recreated).
--   * No extensions: gen_random_uuid() is built into PostgreSQL 13+.
--   * Every name is schema-qualified; nothing depends on search_path.
--   * Constraints are declared inline so each table is built in one statement; plain
--     indexes follow the tables (cheap on empty tables, and easier to compare against the
--     reference list). Constraint names are spelled out even where they equal PostgreSQL's
--     defaults, so that the names never depend on the server's naming rules.

-- ---------------------------------------------------------------------------------------
-- schemas (public already exists)
-- ---------------------------------------------------------------------------------------
create schema analytics;
create schema auth;
create schema core;
create schema integration;
create schema platforms;
create schema pricing;
create schema products;
create schema system;
create schema transactions;

-- ---------------------------------------------------------------------------------------
-- enum types
-- ---------------------------------------------------------------------------------------
create type auth.user_role as enum ('admin', 'user', 'readonly');
create type integration.condition_enum as enum
    ('new', 'like_new', 'used_excellent', 'used_good', 'used_fair', 'deadstock');
create type integration.price_type_enum as enum ('resale', 'retail', 'auction', 'wholesale');
create type integration.source_type_enum as enum
    ('stockx', 'awin', 'ebay', 'goat', 'klekt', 'restocks', 'stockxapi');
-- DEFECT (as built): no column uses this type. Migration 2 fixes it.
create type platforms.sales_platform as enum
    ('StockX', 'Alias', 'eBay', 'Kleinanzeigen', 'Laced', 'WTN', 'Return');
create type products.inventory_status as enum
    ('incoming', 'available', 'consigned', 'need_shipping', 'packed', 'outgoing',
     'sale_completed', 'cancelled');

-- ---------------------------------------------------------------------------------------
-- trigger functions
-- ---------------------------------------------------------------------------------------

-- DEFECT (as built): lives in public instead of a domain schema, and roi_percentage is a
-- placeholder (always 0 once a purchase price is known) although its column comment says
-- "auto-calculated". Migration 2 fixes both.
-- Whole days are the day field of (now() - purchase_date): timestamptz subtraction yields
-- days plus a time part, never months, so this is floor(elapsed / 24 h) for past dates.
create function public.calculate_inventory_analytics() returns trigger
language plpgsql
as $$
begin
    if new.purchase_date is not null then
        new.shelf_life_days := extract(day from (now() - new.purchase_date))::integer;
    end if;
    if new.purchase_price > 0 then
        new.roi_percentage := 0;
    end if;
    return new;
end;
$$;

-- Only a real change is recorded, so an update that touches other columns adds no row.
create function integration.track_price_changes() returns trigger
language plpgsql
as $$
begin
    if new.price_cents is distinct from old.price_cents
       or new.in_stock is distinct from old.in_stock then
        insert into integration.price_history
            (price_source_id, price_cents, in_stock, stock_quantity, recorded_at)
        values
            (new.id, new.price_cents, new.in_stock, new.stock_quantity, now());
    end if;
    return null;
end;
$$;

-- awin_price_history.price_cents is NOT NULL while awin_products.retail_price_cents is
-- nullable: a price that disappears is not recorded (recording it would abort the update).
create function integration.track_awin_price_changes() returns trigger
language plpgsql
as $$
begin
    if new.retail_price_cents is distinct from old.retail_price_cents
       and new.retail_price_cents is not null then
        insert into integration.awin_price_history
            (awin_product_id, price_cents, in_stock, recorded_at)
        values
            (new.awin_product_id, new.retail_price_cents, new.in_stock, now());
    end if;
    return null;
end;
$$;

-- ---------------------------------------------------------------------------------------
-- tables, in foreign-key order
-- DEFECT (as built), throughout: updated_at columns have a default but no trigger keeps
-- them current; json and jsonb columns are mixed. Migration 2 fixes both.
-- ---------------------------------------------------------------------------------------

create table core.brands (
    id          uuid                     not null default gen_random_uuid(),
    name        varchar(100)             not null,
    slug        varchar(100)             not null,
    created_at  timestamptz              not null default now(),
    updated_at  timestamptz              not null default now(),
    constraint brands_pkey primary key (id),
    constraint brands_slug_key unique (slug)
);

create table core.categories (
    id          uuid                     not null default gen_random_uuid(),
    name        varchar(100)             not null,
    slug        varchar(100)             not null,
    created_at  timestamptz              not null default now(),
    updated_at  timestamptz              not null default now(),
    constraint categories_pkey primary key (id),
    constraint categories_slug_key unique (slug)
);

create table core.platforms (
    id          uuid                     not null default gen_random_uuid(),
    name        varchar(100)             not null,
    slug        varchar(100)             not null,
    created_at  timestamptz              not null default now(),
    updated_at  timestamptz              not null default now(),
    constraint platforms_pkey primary key (id),
    constraint platforms_slug_key unique (slug)
);

create table core.suppliers (
    id                              uuid          not null default gen_random_uuid(),
    name                            varchar(100)  not null,
    slug                            varchar(100)  not null,
    display_name                    varchar(150),
    supplier_type                   varchar(50)   not null,
    business_size                   varchar(30),
    contact_person                  varchar(100),
    email                           varchar(100),
    phone                           varchar(50),
    website                         varchar(200),
    address_line1                   varchar(200),
    address_line2                   varchar(200),
    city                            varchar(100),
    state_province                  varchar(100),
    postal_code                     varchar(20),
    country                         varchar(50),
    tax_id                          varchar(50),
    vat_number                      varchar(50),
    business_registration           varchar(100),
    return_policy_days              integer,
    return_policy_text              text,
    return_conditions               varchar(500),
    accepts_exchanges               boolean,
    restocking_fee_percent          numeric(5,2),
    payment_terms                   varchar(100),
    credit_limit                    numeric(12,2),
    discount_percent                numeric(5,2),
    minimum_order_amount            numeric(10,2),
    rating                          numeric(3,2),
    reliability_score               integer,
    quality_score                   integer,
    status                          varchar(20)   not null,
    preferred                       boolean,
    verified                        boolean,
    average_processing_days         integer,
    ships_internationally           boolean,
    accepts_returns_by_mail         boolean,
    provides_authenticity_guarantee boolean,
    has_api                         boolean,
    api_endpoint                    varchar(200),
    api_key_encrypted               text,
    total_orders_count              integer,
    total_order_value               numeric(12,2),
    average_order_value             numeric(10,2),
    last_order_date                 timestamptz,
    founded_year                    integer,
    founder_name                    varchar(200),
    instagram_handle                varchar(100),
    instagram_url                   varchar(255),
    facebook_url                    varchar(255),
    twitter_handle                  varchar(100),
    logo_url                        varchar(500),
    supplier_story                  text,
    closure_date                    date,
    closure_reason                  text,
    supplier_category               varchar(50),
    vat_rate                        numeric(4,2),
    return_policy                   text,
    default_email                   varchar(255),
    notes                           text,
    internal_notes                  text,
    tags                            jsonb,
    created_at                      timestamptz   not null default now(),
    updated_at                      timestamptz   not null default now(),
    constraint suppliers_pkey primary key (id),
    constraint suppliers_slug_key unique (slug)
);

-- DEFECT (as built): brand_id has no index. Migration 2 fixes it.
create table core.brand_patterns (
    id            uuid          not null default gen_random_uuid(),
    brand_id      uuid          not null,
    pattern_type  varchar(50)   not null,
    pattern       varchar(255)  not null,
    priority      integer       not null,
    created_at    timestamptz   not null default now(),
    updated_at    timestamptz   not null default now(),
    constraint brand_patterns_pkey primary key (id),
    constraint brand_patterns_pattern_key unique (pattern),
    constraint brand_patterns_brand_id_fkey foreign key (brand_id)
        references core.brands (id) on delete cascade
);

create table core.supplier_accounts (
    id                    uuid          not null default gen_random_uuid(),
    supplier_id           uuid          not null,
    email                 varchar(150)  not null,
    password_hash         text,
    proxy_config          text,
    first_name            varchar(100),
    last_name             varchar(100),
    address_line_1        varchar(200),
    address_line_2        varchar(200),
    city                  varchar(100),
    country_code          varchar(2),
    zip_code              varchar(20),
    state_code            varchar(10),
    phone_number          varchar(20),
    payment_provider      varchar(50),
    payment_method_token  varchar(255),
    payment_method_last4  varchar(4),
    payment_method_brand  varchar(20),
    expiry_month          integer,
    expiry_year           integer,
    browser_preference    varchar(50),
    list_name             varchar(100),
    account_status        varchar(30)   default 'active',
    is_verified           boolean       default false,
    last_used_at          timestamptz,
    total_purchases       integer       default 0,
    total_spent           numeric(12,2) default '0',
    success_rate          numeric(5,2)  default '0',
    average_order_value   numeric(10,2) default '0',
    notes                 text,
    created_at            timestamptz   not null default now(),
    updated_at            timestamptz   not null default now(),
    constraint supplier_accounts_pkey primary key (id),
    constraint uq_supplier_account_email unique (supplier_id, email),
    constraint supplier_accounts_supplier_id_fkey foreign key (supplier_id)
        references core.suppliers (id) on delete cascade
);

create table core.supplier_history (
    id                 uuid          not null default gen_random_uuid(),
    supplier_id        uuid          not null,
    event_date         date          not null,
    event_type         varchar(50)   not null,
    event_title        varchar(200)  not null,
    event_description  text,
    impact_level       varchar(20)   default 'medium',
    source_url         varchar(500),
    created_at         timestamptz   not null default now(),
    updated_at         timestamptz   not null default now(),
    constraint supplier_history_pkey primary key (id),
    constraint supplier_history_supplier_id_fkey foreign key (supplier_id)
        references core.suppliers (id) on delete cascade
);

-- The only integer key in the schema (serial, sequence core.supplier_performance_id_seq).
create table core.supplier_performance (
    id                 serial        not null,
    supplier_id        uuid          not null,
    month_year         date          not null,
    total_orders       integer       default 0,
    avg_delivery_time  numeric(4,1),
    return_rate        numeric(5,2),
    avg_roi            numeric(5,2),
    created_at         timestamptz   not null default now(),
    constraint supplier_performance_pkey primary key (id),
    constraint supplier_performance_supplier_id_fkey foreign key (supplier_id)
        references core.suppliers (id) on delete cascade
);

create table products.products (
    id                       uuid          not null default gen_random_uuid(),
    sku                      varchar(100)  not null,
    brand_id                 uuid,
    category_id              uuid          not null,
    name                     varchar(255)  not null,
    description              text,
    retail_price             numeric(10,2),
    avg_resale_price         numeric(10,2),
    release_date             timestamptz,
    stockx_product_id        varchar(100),
    style_code               varchar(200),
    enrichment_data          jsonb,
    lowest_ask               numeric(10,2),
    highest_bid              numeric(10,2),
    recommended_sell_faster  numeric(10,2),
    recommended_earn_more    numeric(10,2),
    last_enriched_at         timestamptz,
    ean                      varchar(20),
    gtin                     varchar(20),
    created_at               timestamptz   not null default now(),
    updated_at               timestamptz   not null default now(),
    constraint products_pkey primary key (id),
    constraint products_sku_key unique (sku),
    constraint chk_products_retail_price_positive
        check (retail_price is null or retail_price >= 0),
    constraint products_brand_id_fkey foreign key (brand_id)
        references core.brands (id) on delete set null,
    constraint products_category_id_fkey foreign key (category_id)
        references core.categories (id) on delete restrict
);

-- DEFECT (as built): category_id has no index. Migration 2 fixes it.
create table products.sizes (
    id                  uuid          not null default gen_random_uuid(),
    category_id         uuid,
    value               varchar(20)   not null,
    standardized_value  numeric(4,1),
    region              varchar(10)   not null,
    created_at          timestamptz   not null default now(),
    updated_at          timestamptz   not null default now(),
    constraint sizes_pkey primary key (id),
    constraint sizes_category_id_fkey foreign key (category_id)
        references core.categories (id) on delete set null
);

-- DEFECT (as built): status is free text while detailed_status uses the enum, and
-- size_id / supplier_id have no index. Migration 2 fixes them.
create table products.inventory (
    id                    uuid          not null default gen_random_uuid(),
    product_id            uuid          not null,
    size_id               uuid          not null,
    supplier_id           uuid,
    quantity              integer       not null,
    purchase_price        numeric(10,2),
    purchase_date         timestamptz,
    supplier              varchar(100),
    status                varchar(50)   not null,
    notes                 text,
    delivery_date         timestamptz,
    gross_purchase_price  numeric(10,2),
    vat_amount            numeric(10,2),
    vat_rate              numeric(5,2)  default 19.00,
    shelf_life_days       integer,
    profit_per_shelf_day  numeric(10,2),
    roi_percentage        numeric(5,2),
    location              varchar(50),
    listed_stockx         boolean       default false,
    listed_alias          boolean       default false,
    listed_local          boolean       default false,
    detailed_status       products.inventory_status,
    external_ids          jsonb,
    created_at            timestamptz   not null default now(),
    updated_at            timestamptz   not null default now(),
    constraint inventory_pkey primary key (id),
    constraint chk_inventory_purchase_price_positive
        check (purchase_price is null or purchase_price >= 0),
    constraint chk_inventory_quantity_positive check (quantity >= 0),
    constraint inventory_product_id_fkey foreign key (product_id)
        references products.products (id) on delete cascade,
    constraint inventory_size_id_fkey foreign key (size_id)
        references products.sizes (id) on delete restrict,
    constraint inventory_supplier_id_fkey foreign key (supplier_id)
        references core.suppliers (id) on delete set null
);

-- DEFECT (as built): product_id has no index. Migration 2 fixes it.
create table core.account_purchase_history (
    id                uuid          not null default gen_random_uuid(),
    account_id        uuid          not null,
    supplier_id       uuid          not null,
    product_id        uuid,
    order_reference   varchar(100),
    purchase_amount   numeric(12,2) not null,
    purchase_date     timestamptz   not null,
    purchase_status   varchar(30)   not null,
    success           boolean       default false,
    failure_reason    text,
    response_time_ms  integer,
    ip_address        varchar(45),
    user_agent        varchar(500),
    created_at        timestamptz   not null default now(),
    updated_at        timestamptz   not null default now(),
    constraint account_purchase_history_pkey primary key (id),
    constraint account_purchase_history_account_id_fkey foreign key (account_id)
        references core.supplier_accounts (id) on delete cascade,
    constraint account_purchase_history_supplier_id_fkey foreign key (supplier_id)
        references core.suppliers (id) on delete cascade,
    constraint fk_account_purchase_history_product foreign key (product_id)
        references products.products (id) on delete set null
);

create table auth.users (
    id               uuid          not null default gen_random_uuid(),
    email            varchar(255)  not null,
    username         varchar(100)  not null,
    hashed_password  varchar(255)  not null,
    role             auth.user_role not null default 'user',
    is_active        boolean       not null default true,
    last_login       timestamptz,
    created_at       timestamptz   not null default now(),
    updated_at       timestamptz   not null default now(),
    constraint users_pkey primary key (id),
    constraint users_email_key unique (email),
    constraint users_username_key unique (username)
);

create table integration.import_batches (
    id             uuid          not null default gen_random_uuid(),
    source         varchar(50)   not null,
    total_records  integer       not null,
    status         varchar(50)   not null,
    created_at     timestamptz   not null default now(),
    completed_at   timestamptz,
    constraint import_batches_pkey primary key (id)
);

-- DEFECT (as built): batch_id has no index. Migration 2 fixes it.
create table integration.import_records (
    id                       uuid          not null default gen_random_uuid(),
    batch_id                 uuid          not null,
    source_data              jsonb         not null,
    processed_data           jsonb,
    validation_errors        jsonb,
    status                   varchar(50),
    processing_started_at    timestamptz,
    processing_completed_at  timestamptz,
    error_message            text,
    created_at               timestamptz   not null default now(),
    updated_at               timestamptz   not null default now(),
    constraint import_records_pkey primary key (id),
    constraint import_records_batch_id_fkey foreign key (batch_id)
        references integration.import_batches (id) on delete cascade
);

create table integration.awin_products (
    id                        uuid           not null default gen_random_uuid(),
    awin_product_id           varchar(50)    not null,
    merchant_product_id       varchar(100),
    merchant_id               integer        not null,
    merchant_name             varchar(200),
    data_feed_id              integer,
    product_name              varchar(500)   not null,
    brand_name                varchar(200),
    brand_id                  integer,
    ean                       varchar(20),
    product_gtin              varchar(20),
    mpn                       varchar(100),
    product_model             varchar(200),
    retail_price_cents        integer,
    store_price_cents         integer,
    rrp_price_cents           integer,
    currency                  varchar(3)     default 'EUR',
    description               text,
    short_description         text,
    colour                    varchar(100),
    size                      varchar(20),
    material                  varchar(200),
    in_stock                  boolean        default false,
    stock_quantity            integer        default 0,
    delivery_time             varchar(100),
    image_url                 varchar(1000),
    thumbnail_url             varchar(1000),
    alternate_images          json,
    affiliate_link            varchar(2000),
    merchant_link             varchar(2000),
    matched_product_id        uuid,
    match_confidence          numeric(3,2),
    match_method              varchar(50),
    stockx_product_id         uuid,
    stockx_url_key            varchar(200),
    stockx_style_id           varchar(100),
    stockx_lowest_ask_cents   integer,
    stockx_highest_bid_cents  integer,
    profit_cents              integer,
    profit_percentage         numeric(5,2),
    last_enriched_at          timestamptz,
    enrichment_status         varchar(20)    default 'pending',
    last_updated              timestamptz,
    feed_import_date          timestamptz    default now(),
    created_at                timestamptz    not null default now(),
    updated_at                timestamptz    not null default now(),
    constraint awin_products_pkey primary key (id),
    constraint awin_products_awin_product_id_key unique (awin_product_id)
);

create table integration.awin_price_history (
    id               uuid          not null default gen_random_uuid(),
    awin_product_id  varchar(50)   not null,
    price_cents      integer       not null,
    in_stock         boolean,
    recorded_at      timestamptz   not null default now(),
    constraint awin_price_history_pkey primary key (id),
    constraint awin_price_history_awin_product_id_fkey foreign key (awin_product_id)
        references integration.awin_products (awin_product_id) on delete cascade
);

create table integration.awin_enrichment_jobs (
    id                  uuid          not null default gen_random_uuid(),
    job_type            varchar(50)   not null,
    status              varchar(20)   not null,
    total_products      integer,
    processed_products  integer       default 0,
    matched_products    integer       default 0,
    failed_products     integer       default 0,
    results_summary     json,
    error_log           text,
    started_at          timestamptz,
    completed_at        timestamptz,
    created_at          timestamptz   not null default now(),
    updated_at          timestamptz   not null default now(),
    constraint awin_enrichment_jobs_pkey primary key (id)
);

create table integration.market_prices (
    id             uuid           not null default gen_random_uuid(),
    product_id     uuid           not null,
    source         varchar(100)   not null,
    supplier_name  varchar(100)   not null,
    external_id    varchar(255),
    buy_price      numeric(10,2)  not null,
    currency       varchar(3)     default 'EUR',
    availability   varchar(50),
    stock_qty      integer,
    product_url    text,
    last_updated   timestamptz    default now(),
    created_at     timestamptz    not null default now(),
    raw_data       jsonb,
    constraint market_prices_pkey primary key (id),
    constraint market_prices_product_id_fkey foreign key (product_id)
        references products.products (id) on delete cascade
);

-- DEFECT (as built): metadata is json although its comment says JSONB, and
-- chk_last_updated_past compares with now(), so a source clock running a second ahead is
-- rejected. Migration 2 fixes both.
create table integration.price_sources (
    id                 uuid                          not null default gen_random_uuid(),
    product_id         uuid                          not null,
    size_id            uuid,
    source_type        integration.source_type_enum  not null,
    source_product_id  varchar(100)                  not null,
    source_name        varchar(200),
    price_type         integration.price_type_enum   not null,
    price_cents        integer                       not null,
    currency           varchar(3)                    not null default 'EUR',
    stock_quantity     integer,
    in_stock           boolean                       not null default false,
    condition          integration.condition_enum    default 'new',
    source_url         text,
    affiliate_link     text,
    supplier_id        uuid,
    metadata           json,
    last_updated       timestamptz,
    created_at         timestamptz                   not null default now(),
    updated_at         timestamptz                   not null default now(),
    constraint price_sources_pkey primary key (id),
    constraint chk_currency_valid check (currency ~ '^[A-Z]{3}$'),
    constraint chk_last_updated_past check (last_updated is null or last_updated <= now()),
    constraint chk_price_positive check (price_cents >= 0),
    constraint chk_stock_positive check (stock_quantity is null or stock_quantity >= 0),
    constraint price_sources_product_id_fkey foreign key (product_id)
        references products.products (id) on delete cascade,
    constraint price_sources_size_id_fkey foreign key (size_id)
        references products.sizes (id) on delete set null,
    constraint price_sources_supplier_id_fkey foreign key (supplier_id)
        references core.suppliers (id) on delete set null
);

create table integration.price_history (
    id               uuid          not null default gen_random_uuid(),
    price_source_id  uuid          not null,
    price_cents      integer       not null,
    in_stock         boolean,
    stock_quantity   integer,
    recorded_at      timestamptz   not null default now(),
    constraint price_history_pkey primary key (id),
    constraint price_history_price_source_id_fkey foreign key (price_source_id)
        references integration.price_sources (id) on delete cascade
);

create table platforms.stockx_listings (
    id                     uuid           not null default gen_random_uuid(),
    product_id             uuid           not null,
    stockx_listing_id      varchar(100)   not null,
    stockx_product_id      varchar(100)   not null,
    variant_id             varchar(100),
    ask_price              numeric(10,2)  not null,
    original_ask_price     numeric(10,2),
    buy_price              numeric(10,2),
    expected_profit        numeric(10,2),
    expected_margin        numeric(5,2),
    status                 varchar(20)    not null default 'active',
    is_active              boolean        not null default true,
    expires_at             timestamptz,
    current_lowest_ask     numeric(10,2),
    current_highest_bid    numeric(10,2),
    last_price_update      timestamptz,
    source_opportunity_id  uuid,
    created_from           varchar(50)    default 'manual',
    created_at             timestamptz    not null default now(),
    updated_at             timestamptz    not null default now(),
    listed_at              timestamptz,
    delisted_at            timestamptz,
    constraint stockx_listings_pkey primary key (id),
    constraint stockx_listings_stockx_listing_id_key unique (stockx_listing_id),
    constraint chk_stockx_listings_status
        check (status in ('active', 'inactive', 'sold', 'expired', 'cancelled')),
    constraint stockx_listings_product_id_fkey foreign key (product_id)
        references products.products (id) on delete cascade
);

create table platforms.pricing_history (
    id                  uuid           not null default gen_random_uuid(),
    listing_id          uuid           not null,
    old_price           numeric(10,2),
    new_price           numeric(10,2)  not null,
    change_reason       varchar(100),
    market_lowest_ask   numeric(10,2),
    market_highest_bid  numeric(10,2),
    created_at          timestamptz    not null default now(),
    constraint pricing_history_pkey primary key (id),
    constraint pricing_history_listing_id_fkey foreign key (listing_id)
        references platforms.stockx_listings (id) on delete cascade
);

create table platforms.stockx_orders (
    id                   uuid           not null default gen_random_uuid(),
    listing_id           uuid           not null,
    stockx_order_number  varchar(100)   not null,
    sale_price           numeric(10,2)  not null,
    buyer_premium        numeric(10,2),
    seller_fee           numeric(10,2),
    processing_fee       numeric(10,2),
    net_proceeds         numeric(10,2),
    original_buy_price   numeric(10,2),
    gross_profit         numeric(10,2),
    net_profit           numeric(10,2),
    actual_margin        numeric(5,2),
    roi                  numeric(5,2),
    order_status         varchar(20),
    shipping_status      varchar(20),
    tracking_number      varchar(100),
    sold_at              timestamptz    not null,
    shipped_at           timestamptz,
    completed_at         timestamptz,
    created_at           timestamptz    not null default now(),
    updated_at           timestamptz    not null default now(),
    constraint stockx_orders_pkey primary key (id),
    constraint stockx_orders_stockx_order_number_key unique (stockx_order_number),
    constraint chk_stockx_orders_status
        check (order_status in ('pending', 'authenticated', 'shipped', 'completed', 'cancelled')),
    constraint stockx_orders_listing_id_fkey foreign key (listing_id)
        references platforms.stockx_listings (id) on delete restrict
);

-- DEFECT (as built): brand_id has no index. Migration 2 fixes it.
create table pricing.brand_multipliers (
    id                uuid          not null default gen_random_uuid(),
    brand_id          uuid          not null,
    multiplier_type   varchar(50)   not null,
    multiplier_value  numeric(4,3)  not null,
    active            boolean       not null default true,
    effective_from    date          not null,
    effective_until   date,
    created_at        timestamptz   not null default now(),
    updated_at        timestamptz   not null default now(),
    constraint brand_multipliers_pkey primary key (id),
    constraint brand_multipliers_brand_id_fkey foreign key (brand_id)
        references core.brands (id) on delete cascade
);

create table pricing.market_prices (
    id                  uuid           not null default gen_random_uuid(),
    product_id          uuid           not null,
    platform_name       varchar(50)    not null,
    size_value          varchar(20),
    condition           varchar(20)    not null,
    price_date          date           not null,
    lowest_ask          numeric(10,2),
    highest_bid         numeric(10,2),
    last_sale           numeric(10,2),
    average_price       numeric(10,2),
    sales_volume        integer,
    premium_percentage  numeric(5,2),
    data_quality_score  numeric(3,2),
    created_at          timestamptz    not null default now(),
    constraint market_prices_pkey primary key (id),
    constraint market_prices_product_id_fkey foreign key (product_id)
        references products.products (id) on delete cascade
);

-- DEFECT (as built): inventory_item_id and platform_id have no index. Migration 2 fixes it.
create table pricing.price_history (
    id                 uuid           not null default gen_random_uuid(),
    product_id         uuid           not null,
    inventory_item_id  uuid,
    platform_id        uuid,
    price_date         date           not null,
    price_type         varchar(30)    not null,
    price_amount       numeric(10,2)  not null,
    currency           varchar(3)     not null default 'EUR',
    source             varchar(50)    not null,
    confidence_score   numeric(3,2),
    metadata           json,
    created_at         timestamptz    not null default now(),
    constraint price_history_pkey primary key (id),
    constraint price_history_inventory_item_id_fkey foreign key (inventory_item_id)
        references products.inventory (id) on delete set null,
    constraint price_history_platform_id_fkey foreign key (platform_id)
        references core.platforms (id) on delete set null,
    constraint price_history_product_id_fkey foreign key (product_id)
        references products.products (id) on delete cascade
);

-- DEFECT (as built): category_id and platform_id have no index. Migration 2 fixes it.
create table pricing.price_rules (
    id                        uuid          not null default gen_random_uuid(),
    name                      varchar(100)  not null,
    rule_type                 varchar(50)   not null,
    priority                  integer       not null default 100,
    active                    boolean       not null default true,
    brand_id                  uuid,
    category_id               uuid,
    platform_id               uuid,
    base_markup_percent       numeric(5,2),
    minimum_margin_percent    numeric(5,2),
    maximum_discount_percent  numeric(5,2),
    condition_multipliers     json,
    seasonal_adjustments      json,
    effective_from            timestamptz   not null,
    effective_until           timestamptz,
    created_at                timestamptz   not null default now(),
    updated_at                timestamptz   not null default now(),
    constraint price_rules_pkey primary key (id),
    constraint price_rules_brand_id_fkey foreign key (brand_id)
        references core.brands (id) on delete cascade,
    constraint price_rules_category_id_fkey foreign key (category_id)
        references core.categories (id) on delete cascade,
    constraint price_rules_platform_id_fkey foreign key (platform_id)
        references core.platforms (id) on delete cascade
);

-- DEFECT (as built): category_id has no index. Migration 2 fixes it.
create table analytics.demand_patterns (
    id                  uuid          not null default gen_random_uuid(),
    product_id          uuid,
    brand_id            uuid,
    category_id         uuid,
    analysis_level      varchar(20)   not null,
    pattern_date        date          not null,
    period_type         varchar(20)   not null,
    demand_score        numeric(8,4)  not null,
    velocity_rank       integer,
    seasonality_factor  numeric(4,3),
    trend_direction     varchar(20),
    volatility_score    numeric(5,4),
    pattern_metadata    json,
    created_at          timestamptz   not null default now(),
    constraint demand_patterns_pkey primary key (id),
    constraint demand_patterns_brand_id_fkey foreign key (brand_id)
        references core.brands (id) on delete cascade,
    constraint demand_patterns_category_id_fkey foreign key (category_id)
        references core.categories (id) on delete cascade,
    constraint demand_patterns_product_id_fkey foreign key (product_id)
        references products.products (id) on delete cascade
);

create table analytics.forecast_accuracy (
    id                      uuid           not null default gen_random_uuid(),
    forecast_run_id         uuid           not null,
    model_name              varchar(50)    not null,
    forecast_level          varchar(20)    not null,
    forecast_horizon        varchar(20)    not null,
    accuracy_date           date           not null,
    mape_score              numeric(5,2),
    rmse_score              numeric(10,2),
    mae_score               numeric(10,2),
    r2_score                numeric(5,4),
    bias_score              numeric(8,2),
    records_evaluated       integer        not null,
    evaluation_period_days  integer        not null,
    created_at              timestamptz    not null default now(),
    constraint forecast_accuracy_pkey primary key (id)
);

create table analytics.marketplace_data (
    id                      uuid           not null default gen_random_uuid(),
    inventory_item_id       uuid           not null,
    platform_id             uuid           not null,
    marketplace_listing_id  varchar(255),
    ask_price               numeric(10,2),
    bid_price               numeric(10,2),
    market_lowest_ask       numeric(10,2),
    market_highest_bid      numeric(10,2),
    last_sale_price         numeric(10,2),
    sales_frequency         integer,
    volatility              numeric(5,4),
    fees_percentage         numeric(5,4),
    platform_specific       jsonb,
    updated_at              timestamptz    not null default now(),
    created_at              timestamptz    not null default now(),
    constraint marketplace_data_pkey primary key (id),
    constraint uq_marketplace_data_item_platform unique (inventory_item_id, platform_id),
    constraint chk_marketplace_fees
        check (fees_percentage is null or (fees_percentage >= 0 and fees_percentage <= 1)),
    constraint chk_marketplace_volatility
        check (volatility is null or (volatility >= 0 and volatility <= 1)),
    constraint marketplace_data_inventory_item_id_fkey foreign key (inventory_item_id)
        references products.inventory (id) on delete cascade,
    constraint marketplace_data_platform_id_fkey foreign key (platform_id)
        references core.platforms (id) on delete restrict
);

-- DEFECT (as built): product_id, category_id and platform_id have no leading index.
-- Migration 2 fixes it.
create table analytics.pricing_kpis (
    id                         uuid           not null default gen_random_uuid(),
    kpi_date                   date           not null,
    product_id                 uuid,
    brand_id                   uuid,
    category_id                uuid,
    platform_id                uuid,
    aggregation_level          varchar(20)    not null,
    average_margin_percent     numeric(5,2),
    average_markup_percent     numeric(5,2),
    price_realization_percent  numeric(5,2),
    competitive_index          numeric(5,2),
    conversion_rate_percent    numeric(5,2),
    revenue_impact_eur         numeric(12,2),
    units_sold                 integer,
    average_selling_price      numeric(10,2),
    price_elasticity           numeric(6,4),
    created_at                 timestamptz    not null default now(),
    constraint pricing_kpis_pkey primary key (id),
    constraint pricing_kpis_brand_id_fkey foreign key (brand_id)
        references core.brands (id) on delete cascade,
    constraint pricing_kpis_category_id_fkey foreign key (category_id)
        references core.categories (id) on delete cascade,
    constraint pricing_kpis_platform_id_fkey foreign key (platform_id)
        references core.platforms (id) on delete cascade,
    constraint pricing_kpis_product_id_fkey foreign key (product_id)
        references products.products (id) on delete cascade
);

-- DEFECT (as built): category_id and platform_id have no index. Migration 2 fixes it.
create table analytics.sales_forecasts (
    id                  uuid           not null default gen_random_uuid(),
    forecast_run_id     uuid           not null,
    product_id          uuid,
    brand_id            uuid,
    category_id         uuid,
    platform_id         uuid,
    forecast_level      varchar(20)    not null,
    forecast_date       date           not null,
    forecast_horizon    varchar(20)    not null,
    forecasted_units    numeric(10,2)  not null,
    forecasted_revenue  numeric(12,2)  not null,
    confidence_lower    numeric(10,2),
    confidence_upper    numeric(10,2),
    model_name          varchar(50)    not null,
    model_version       varchar(20)    not null,
    feature_importance  json,
    created_at          timestamptz    not null default now(),
    constraint sales_forecasts_pkey primary key (id),
    constraint sales_forecasts_brand_id_fkey foreign key (brand_id)
        references core.brands (id) on delete cascade,
    constraint sales_forecasts_category_id_fkey foreign key (category_id)
        references core.categories (id) on delete cascade,
    constraint sales_forecasts_platform_id_fkey foreign key (platform_id)
        references core.platforms (id) on delete cascade,
    constraint sales_forecasts_product_id_fkey foreign key (product_id)
        references products.products (id) on delete cascade
);

create table system.config (
    key              varchar(100)  not null,
    value_encrypted  text          not null,
    description      text,
    created_at       timestamptz   not null default now(),
    updated_at       timestamptz   not null default now(),
    constraint config_pkey primary key (key)
);

create table system.logs (
    id            uuid          not null default gen_random_uuid(),
    level         varchar(20)   not null,
    component     varchar(50)   not null,
    message       text          not null,
    details       jsonb,
    source_table  varchar(100),
    source_id     uuid,
    created_at    timestamptz   not null default now(),
    constraint logs_pkey primary key (id)
);

create table transactions.orders (
    id                         uuid           not null default gen_random_uuid(),
    listing_id                 uuid           not null,
    platform_id                uuid           not null,
    stockx_order_number        varchar(100),
    external_id                varchar(200),
    sale_price                 numeric(10,2)  not null,
    buyer_premium              numeric(10,2),
    seller_fee                 numeric(10,2),
    processing_fee             numeric(10,2),
    net_proceeds               numeric(10,2),
    original_buy_price         numeric(10,2),
    gross_profit               numeric(10,2),
    net_profit                 numeric(10,2),
    actual_margin              numeric(5,2),
    roi                        numeric(5,2),
    order_status               varchar(20),
    shipping_status            varchar(20),
    tracking_number            varchar(100),
    platform_fee               numeric(10,2),
    shipping_cost              numeric(10,2),
    buyer_destination_country  varchar(100),
    buyer_destination_city     varchar(200),
    sold_at                    timestamptz    not null,
    gross_sale                 numeric(10,2),
    payout_received            boolean        default false,
    payout_date                timestamptz,
    shelf_life_days            integer,
    shipped_at                 timestamptz,
    completed_at               timestamptz,
    notes                      text,
    created_at                 timestamptz    not null default now(),
    updated_at                 timestamptz    not null default now(),
    constraint orders_pkey primary key (id),
    constraint chk_orders_net_proceeds_logical
        check (net_proceeds is null or net_proceeds <= sale_price),
    constraint chk_orders_sale_price_positive check (sale_price > 0),
    constraint chk_orders_status
        check (order_status in ('pending', 'authenticated', 'shipped', 'completed', 'cancelled')),
    constraint orders_listing_id_fkey foreign key (listing_id)
        references platforms.stockx_listings (id) on delete restrict,
    constraint orders_platform_id_fkey foreign key (platform_id)
        references core.platforms (id) on delete restrict
);

-- DEFECT (as built): platform_id has no index. Migration 2 fixes it.
create table transactions.transactions (
    id                         uuid           not null default gen_random_uuid(),
    inventory_id               uuid           not null,
    platform_id                uuid           not null,
    transaction_date           timestamptz    not null,
    sale_price                 numeric(10,2)  not null,
    platform_fee               numeric(10,2)  not null,
    shipping_cost              numeric(10,2)  not null,
    net_profit                 numeric(10,2)  not null,
    status                     varchar(50)    not null,
    external_id                varchar(100),
    buyer_destination_country  varchar(100),
    buyer_destination_city     varchar(100),
    notes                      text,
    created_at                 timestamptz    not null default now(),
    updated_at                 timestamptz    not null default now(),
    constraint transactions_pkey primary key (id),
    constraint transactions_inventory_id_fkey foreign key (inventory_id)
        references products.inventory (id) on delete restrict,
    constraint transactions_platform_id_fkey foreign key (platform_id)
        references core.platforms (id) on delete restrict
);

-- ---------------------------------------------------------------------------------------
-- indexes (explicit ones; primary keys and unique constraints made their own above)
-- DEFECT (as built): 14 of these are redundant -- 5 exact duplicates of another index and
-- 9 left prefixes of a wider one -- each marked "redundant" below. Migration 2 drops them.
-- ---------------------------------------------------------------------------------------

-- core
create index idx_supplier_accounts_email on core.supplier_accounts (email);
create index idx_supplier_accounts_last_used on core.supplier_accounts (last_used_at);
create index idx_supplier_accounts_status on core.supplier_accounts (account_status);
-- redundant: prefix of uq_supplier_account_email
create index idx_supplier_accounts_supplier_id on core.supplier_accounts (supplier_id);
create index idx_supplier_history_event_type on core.supplier_history (event_type);
create index idx_supplier_history_supplier_date on core.supplier_history (supplier_id, event_date);
create index idx_supplier_performance_month on core.supplier_performance (month_year);
create index idx_supplier_performance_supplier on core.supplier_performance (supplier_id);
create index idx_suppliers_founded_year on core.suppliers (founded_year);
create index idx_suppliers_instagram on core.suppliers (instagram_handle);
create index idx_purchase_history_account_id on core.account_purchase_history (account_id);
create index idx_purchase_history_date on core.account_purchase_history (purchase_date);
create index idx_purchase_history_status on core.account_purchase_history (purchase_status);
create index idx_purchase_history_supplier_id on core.account_purchase_history (supplier_id);

-- products
create index idx_products_brand_id on products.products (brand_id);
create index idx_products_category_id on products.products (category_id);
create index idx_products_ean on products.products (ean);
create index idx_products_gtin on products.products (gtin);
-- redundant: duplicate of products_sku_key
create index idx_products_sku_lookup on products.products (sku);
create index idx_products_style_code on products.products (style_code);
create index ix_products_last_enriched_at on products.products (last_enriched_at);
create index ix_products_stockx_product_id on products.products (stockx_product_id);
create index idx_inventory_created_at on products.inventory (created_at);
create index idx_inventory_delivery_date on products.inventory (delivery_date);
create index idx_inventory_location on products.inventory (location);
-- redundant: prefix of idx_inventory_product_size_status
create index idx_inventory_product_id on products.inventory (product_id);
create index idx_inventory_product_size_status on products.inventory (product_id, size_id, status);
create index idx_inventory_roi on products.inventory (roi_percentage);
create index idx_inventory_shelf_life on products.inventory (shelf_life_days);
-- redundant: prefix of idx_inventory_status_created_at
create index idx_inventory_status on products.inventory (status);
create index idx_inventory_status_created_at on products.inventory (status, created_at);

-- auth
-- redundant: duplicates of users_email_key and users_username_key
create unique index idx_users_email on auth.users (email);
create unique index idx_users_username on auth.users (username);
create index idx_users_is_active on auth.users (is_active);
create index idx_users_role on auth.users (role);

-- integration
create index idx_import_record_status on integration.import_records (status);
create index idx_awin_brand on integration.awin_products (brand_name);
create index idx_awin_ean on integration.awin_products (ean);
create index idx_awin_ean_in_stock on integration.awin_products (ean, in_stock) where in_stock = true;
create index idx_awin_enrichment_status on integration.awin_products (enrichment_status);
create index idx_awin_in_stock on integration.awin_products (in_stock);
create index idx_awin_last_updated on integration.awin_products (last_updated);
create index idx_awin_matched_product on integration.awin_products (matched_product_id);
create index idx_awin_merchant on integration.awin_products (merchant_id);
create index idx_awin_profit on integration.awin_products (profit_cents);
create index idx_awin_stockx_product_id on integration.awin_products (stockx_product_id);
create index idx_awin_price_history_date on integration.awin_price_history (recorded_at);
create index idx_awin_price_history_product on integration.awin_price_history (awin_product_id);
create index idx_awin_enrichment_jobs_created on integration.awin_enrichment_jobs (created_at);
create index idx_awin_enrichment_jobs_status on integration.awin_enrichment_jobs (status);
create index idx_market_prices_price on integration.market_prices (buy_price);
-- redundant: prefix of idx_market_prices_quickflip
create index idx_market_prices_product_id on integration.market_prices (product_id);
create index idx_market_prices_quickflip
    on integration.market_prices (product_id, buy_price, last_updated);
create index idx_market_prices_source on integration.market_prices (source);
create index idx_market_prices_supplier on integration.market_prices (supplier_name);
create index idx_market_prices_updated on integration.market_prices (last_updated);
create index idx_price_sources_in_stock on integration.price_sources (in_stock);
create index idx_price_sources_last_updated on integration.price_sources (last_updated);
create index idx_price_sources_price_cents on integration.price_sources (price_cents);
create index idx_price_sources_price_type on integration.price_sources (price_type);
-- redundant: prefix of idx_price_sources_product_source
create index idx_price_sources_product_id on integration.price_sources (product_id);
create index idx_price_sources_product_source on integration.price_sources (product_id, source_type);
create index idx_price_sources_resale_active
    on integration.price_sources (product_id, size_id, price_cents)
    where price_type = 'resale' and in_stock = true;
create index idx_price_sources_retail_active
    on integration.price_sources (product_id, size_id, price_cents)
    where price_type = 'retail' and in_stock = true;
create index idx_price_sources_size on integration.price_sources (size_id);
create index idx_price_sources_source_price_type on integration.price_sources (source_type, price_type);
-- redundant: prefix of idx_price_sources_source_price_type
create index idx_price_sources_source_type on integration.price_sources (source_type);
create index idx_price_sources_supplier on integration.price_sources (supplier_id);
-- One price per (product, source, source product[, size]); two partial indexes because a
-- plain unique constraint would let rows without a size repeat (NULLs are distinct).
create unique index uq_price_source_with_size
    on integration.price_sources (product_id, source_type, source_product_id, size_id)
    where size_id is not null;
create unique index uq_price_source_without_size
    on integration.price_sources (product_id, source_type, source_product_id)
    where size_id is null;
create index idx_price_history_recorded on integration.price_history (recorded_at);
-- redundant: prefix of idx_price_history_source_date
create index idx_price_history_source on integration.price_history (price_source_id);
create index idx_price_history_source_date on integration.price_history (price_source_id, recorded_at);

-- platforms
create index idx_stockx_listings_active on platforms.stockx_listings (is_active);
create index idx_stockx_listings_product on platforms.stockx_listings (product_id);
create index idx_stockx_listings_status on platforms.stockx_listings (status);
-- redundant: duplicate of stockx_listings_stockx_listing_id_key
create index idx_stockx_listings_stockx_id on platforms.stockx_listings (stockx_listing_id);
create index idx_pricing_history_created on platforms.pricing_history (created_at);
create index idx_pricing_history_listing on platforms.pricing_history (listing_id);
create index idx_stockx_orders_listing on platforms.stockx_orders (listing_id);
create index idx_stockx_orders_sold_at on platforms.stockx_orders (sold_at);
create index idx_stockx_orders_status on platforms.stockx_orders (order_status);

-- pricing
create index idx_market_prices_date on pricing.market_prices (price_date);
create index idx_market_prices_product_platform on pricing.market_prices (product_id, platform_name);
create index idx_price_history_date_type on pricing.price_history (price_date, price_type);
create index idx_price_history_product_date on pricing.price_history (product_id, price_date);
create index idx_price_rules_brand_active on pricing.price_rules (brand_id, active);
create index idx_price_rules_effective_dates on pricing.price_rules (effective_from, effective_until);

-- analytics
create index idx_demand_patterns_brand_period on analytics.demand_patterns (brand_id, period_type);
create index idx_demand_patterns_product_date on analytics.demand_patterns (product_id, pattern_date);
create index idx_forecast_accuracy_model_date
    on analytics.forecast_accuracy (model_name, accuracy_date);
create index idx_marketplace_data_ask_price
    on analytics.marketplace_data (ask_price) where ask_price is not null;
-- redundant: prefix of uq_marketplace_data_item_platform
create index idx_marketplace_data_item on analytics.marketplace_data (inventory_item_id);
create index idx_marketplace_data_platform on analytics.marketplace_data (platform_id);
create index idx_marketplace_data_updated on analytics.marketplace_data (updated_at);
create index idx_pricing_kpis_brand_date on analytics.pricing_kpis (brand_id, kpi_date);
create index idx_pricing_kpis_date_level on analytics.pricing_kpis (kpi_date, aggregation_level);
create index idx_sales_forecasts_brand_level on analytics.sales_forecasts (brand_id, forecast_level);
create index idx_sales_forecasts_product_date on analytics.sales_forecasts (product_id, forecast_date);
create index idx_sales_forecasts_run_date on analytics.sales_forecasts (forecast_run_id, forecast_date);

-- transactions
-- (the idx_stockx_orders_* names on transactions.orders are the old system's: the table
-- took over platforms.stockx_orders' index names in its own schema)
create index idx_orders_payout_received on transactions.orders (payout_received);
create index idx_orders_platform_sold_at on transactions.orders (platform_id, sold_at);
create index idx_orders_sold_at on transactions.orders (sold_at);
create index idx_stockx_orders_listing on transactions.orders (listing_id);
-- redundant: duplicate of idx_orders_sold_at
create index idx_stockx_orders_sold_at on transactions.orders (sold_at);
create index idx_stockx_orders_status on transactions.orders (order_status);
create index ix_orders_external_id on transactions.orders (external_id);
-- redundant: prefix of idx_transaction_date_status
create index idx_transaction_date on transactions.transactions (transaction_date);
create index idx_transaction_date_status on transactions.transactions (transaction_date, status);
create index idx_transaction_inventory_id on transactions.transactions (inventory_id);

-- ---------------------------------------------------------------------------------------
-- views
-- ---------------------------------------------------------------------------------------

create view analytics.brand_loyalty_analysis as
select
    b.name                                                   as brand,
    count(distinct date_trunc('month', t.transaction_date))  as active_months,
    count(t.id)                                              as total_transactions,
    sum(t.sale_price)                                        as total_spent,
    avg(t.sale_price)                                        as avg_order_value
from transactions.transactions t
join products.inventory i on i.id = t.inventory_id
join products.products p on p.id = i.product_id
join core.brands b on b.id = p.brand_id
group by b.id, b.name
order by total_spent desc;

create view analytics.brand_trend_analysis as
select
    b.name                                   as brand,
    date_trunc('month', t.transaction_date)  as month,
    count(t.id)                              as transaction_count,
    sum(t.sale_price)                        as total_revenue,
    avg(t.sale_price)                        as avg_transaction_value
from transactions.transactions t
join products.inventory i on i.id = t.inventory_id
join products.products p on p.id = i.product_id
join core.brands b on b.id = p.brand_id
group by b.id, b.name, date_trunc('month', t.transaction_date)
order by month desc, total_revenue desc;

-- DEFECT (as built): documented as the latest price per product/size/source, but the
-- distinct-on key leaves out size_id, and `last_updated desc` puts NULLs first, so a row
-- that was never stamped beats every dated one. Migration 2 fixes both.
create view integration.latest_prices as
select distinct on (ps.product_id, ps.source_type)
    ps.id,
    ps.product_id,
    ps.size_id,
    ps.source_type,
    ps.source_product_id,
    ps.source_name,
    ps.price_type,
    ps.price_cents,
    ps.currency,
    ps.stock_quantity,
    ps.in_stock,
    ps.condition,
    ps.source_url,
    ps.affiliate_link,
    ps.supplier_id,
    ps.metadata,
    ps.last_updated,
    ps.created_at,
    ps.updated_at,
    p.name  as product_name,
    p.sku   as product_sku,
    p.ean   as product_ean,
    b.name  as brand_name,
    s.name  as supplier_name
from integration.price_sources ps
join products.products p on p.id = ps.product_id
left join core.brands b on b.id = p.brand_id
left join core.suppliers s on s.id = ps.supplier_id
where ps.in_stock = true
order by ps.product_id, ps.source_type, ps.last_updated desc;

-- Gross margin only: no fees, shipping or VAT are deducted (as built). A retail price of
-- 0 cents yields NULL percentage/score instead of a division-by-zero error for the whole
-- query.
create view integration.profit_opportunities_v2 as
select
    p.id                                        as product_id,
    p.name                                      as product_name,
    p.sku                                       as product_sku,
    p.ean                                       as product_ean,
    b.name                                      as brand_name,
    rtz.value                                   as retail_size_value,
    rtz.region                                  as retail_size_region,
    rsz.value                                   as resale_size_value,
    rsz.region                                  as resale_size_region,
    rtz.standardized_value                      as standardized_size,
    rt.id                                       as retail_price_source_id,
    rt.source_type                              as retail_source,
    rt.source_name                              as retail_source_name,
    rt.price_cents                              as retail_price_cents,
    rt.price_cents / 100.0                      as retail_price_eur,
    rt.supplier_id                              as retail_supplier_id,
    rt.affiliate_link                           as retail_affiliate_link,
    rt.stock_quantity                           as retail_stock_quantity,
    rs.id                                       as resale_price_source_id,
    rs.source_type                              as resale_source,
    rs.source_name                              as resale_source_name,
    rs.price_cents                              as resale_price_cents,
    rs.price_cents / 100.0                      as resale_price_eur,
    rs.price_cents - rt.price_cents             as profit_cents,
    (rs.price_cents - rt.price_cents) / 100.0   as profit_eur,
    round((rs.price_cents - rt.price_cents)::numeric
          / nullif(rt.price_cents, 0) * 100, 1)                 as profit_percentage,
    round((rs.price_cents - rt.price_cents) / 100.0
          * (rs.price_cents - rt.price_cents)
          / nullif(rt.price_cents, 0), 2)                       as opportunity_score
from integration.price_sources rt
join integration.price_sources rs
  on rs.product_id = rt.product_id
 and rs.price_type = 'resale'
 and rs.in_stock = true
 and rs.price_cents > rt.price_cents
join products.products p on p.id = rt.product_id
left join core.brands b on b.id = p.brand_id
left join products.sizes rtz on rtz.id = rt.size_id
left join products.sizes rsz on rsz.id = rs.size_id
where rt.price_type = 'retail'
  and rt.in_stock = true
  and (rtz.standardized_value = rsz.standardized_value
       or (rt.size_id is null and rs.size_id is null))
order by profit_cents desc;

-- ---------------------------------------------------------------------------------------
-- triggers
-- ---------------------------------------------------------------------------------------
create trigger trigger_calculate_inventory_analytics
    before insert or update on products.inventory
    for each row execute function public.calculate_inventory_analytics();

create trigger awin_price_change_trigger
    after update on integration.awin_products
    for each row execute function integration.track_awin_price_changes();

create trigger price_change_trigger
    after update on integration.price_sources
    for each row execute function integration.track_price_changes();

-- ---------------------------------------------------------------------------------------
-- comments (text exactly as the old database has it, inaccuracies included:
-- metadata is json, not JSONB, and roi_percentage is not really calculated)
-- ---------------------------------------------------------------------------------------
comment on table integration.price_sources is
    'Unified price sources from multiple providers (StockX, Awin, eBay, etc.) - eliminates 70% data redundancy';
comment on column integration.price_sources.size_id is
    'Optional FK to sizes table for size-specific pricing (e.g., StockX has different prices per size)';
comment on column integration.price_sources.source_type is
    'Type of price source: stockx, awin, ebay, goat, klekt, restocks, stockxapi';
comment on column integration.price_sources.price_type is
    'Type of price: resale (secondary market), retail (primary market), auction, wholesale';
comment on column integration.price_sources.metadata is
    'Flexible JSONB field for source-specific data (e.g., StockX variant details, Awin merchant info)';
comment on column products.inventory.shelf_life_days is
    'Auto-calculated: Days between purchase_date and current date';
comment on column products.inventory.roi_percentage is
    'Auto-calculated: Return on Investment percentage';
comment on column products.sizes.standardized_value is
    'Normalized size value for cross-region matching (EU size as standard, e.g., US 9 = EU 42.5 = 42.5)';
comment on column core.supplier_accounts.payment_method_token is
    'PCI-compliant tokenized payment method (from Stripe, PayPal, etc.) - NO raw card data';

-- ---------------------------------------------------------------------------------------
-- seed rows
-- ---------------------------------------------------------------------------------------

-- The password is a locked marker, not a hash: no scheme verifies it, so the account is
-- unusable until an operator sets a password. last_login is set because the old seed set it.
insert into auth.users (email, username, hashed_password, role, is_active, last_login)
values ('admin@soleflip.com', 'admin',
        '!locked: no password set; run soleflip user set-password admin',
        'admin', true, now());

-- DEFECT (as built): not the platform list the old document promised (Klekt and WTN
-- instead of Restocks and Wethenew, different order); seeded as the old database has it so
-- existing installs and new ones agree. Migration 2 fixes it.
insert into core.platforms (name, slug) values
    ('StockX', 'stockx'),
    ('eBay', 'ebay'),
    ('GOAT', 'goat'),
    ('Alias', 'alias'),
    ('Kleinanzeigen', 'kleinanzeigen'),
    ('Laced', 'laced'),
    ('WTN', 'wtn'),
    ('Klekt', 'klekt');

insert into core.brands (name, slug) values
    ('Nike', 'nike'),
    ('Adidas', 'adidas'),
    ('Jordan', 'jordan'),
    ('Yeezy', 'yeezy'),
    ('New Balance', 'new-balance'),
    ('Asics', 'asics'),
    ('Converse', 'converse'),
    ('Vans', 'vans'),
    ('Puma', 'puma'),
    ('Reebok', 'reebok');

insert into core.categories (name, slug) values ('Sneakers', 'sneakers');
