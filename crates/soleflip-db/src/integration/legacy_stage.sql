-- Every row of the two legacy price tables not yet recorded in
-- integration.legacy_price_migrations, mapped to the price_sources row it becomes
-- (docs/prices-mapping.md is this statement in prose; keep them in step), with what will happen
-- to it:
--   outcome 'rejected'  reason says why (product missing, unknown source or currency, ...);
--           'inserted'  the latest observation of its key, which no price source has yet;
--           'updated'   the latest observation of its key, newer than the price source's;
--           'merged'    an older observation of its key: it goes into price_history.
-- The key is price_sources' unique key: (product, source, source product[, size]). Within a
-- key the latest observation wins (observed_at, then the legacy row's created_at, then its id,
-- so that the choice never depends on plan order).
-- Needs the temporary table size_match (size_lookup.sql) for pricing.market_prices' sizes and
-- the parameter $1, the currency of pricing.market_prices (the table has no currency column).
-- Left joins only: every legacy row gives exactly one row here (the validation counts them).
create temporary table legacy_stage on commit drop as
with suppliers as (
    -- A supplier name names a core.suppliers row when exactly one matches its slug or name.
    select n.supplier_name, (array_agg(s.id))[1] as supplier_id
    from (select distinct supplier_name from integration.market_prices) n
    join core.suppliers s
      on s.slug = lower(btrim(n.supplier_name)) or lower(s.name) = lower(btrim(n.supplier_name))
    group by n.supplier_name
    having count(*) = 1
), sources as (
    select label::text as label from unnest(enum_range(null::integration.source_type_enum)) label
), conditions as (
    select label::text as label from unnest(enum_range(null::integration.condition_enum)) label
-- The free-text columns below hold a handful of distinct values among a million rows: each
-- distinct value is read once here, and the rows look the reading up.
), retail_sources as (
    select n.source as name, s.label
    from (select distinct source from integration.market_prices) n
    join sources s on s.label = regexp_replace(lower(n.source), '[^a-z]', '', 'g')
), availabilities as (
    select n.availability as name,
           case
               when lower(regexp_replace(n.availability, '[^a-zA-Z0-9]', '', 'g'))
                    in ('instock', 'available', 'yes', 'true', '1', 'lowstock', 'limitedstock')
                   then true
               when lower(regexp_replace(n.availability, '[^a-zA-Z0-9]', '', 'g'))
                    in ('outofstock', 'soldout', 'unavailable', 'no', 'false', '0')
                   then false
           end as in_stock
    from (select distinct availability from integration.market_prices) n
), resale_sources as (
    select n.platform_name as name, s.label
    from (select distinct platform_name from pricing.market_prices) n
    join sources s on s.label = regexp_replace(lower(n.platform_name), '[^a-z]', '', 'g')
), resale_conditions as (
    select n.condition as name, c.label
    from (select distinct condition from pricing.market_prices) n
    join conditions c on c.label = regexp_replace(lower(btrim(n.condition)), '[^a-z]+', '_', 'g')
), retail as (
    select 'integration.market_prices'::text as legacy_table,
           m.id as legacy_id,
           m.created_at as legacy_created_at,
           m.product_id,
           null::uuid as size_id,
           src.label as source_label,
           coalesce(nullif(btrim(m.external_id), ''), btrim(m.supplier_name)) as source_product_id,
           m.supplier_name::text as source_name,
           'retail'::text as price_type,
           m.buy_price as legacy_price,
           upper(btrim(m.currency)) as currency,
           m.stock_qty as stock_quantity,
           coalesce(av.in_stock, m.stock_qty > 0, false) as in_stock,
           'new'::text as condition,
           m.product_url as source_url,
           su.supplier_id,
           coalesce(m.last_updated, m.created_at) as observed_at,
           jsonb_strip_nulls(jsonb_build_object(
               'legacy_table', 'integration.market_prices',
               'legacy_id', m.id,
               'availability', m.availability,
               'raw_data', m.raw_data,
               'price_exact', case when m.buy_price <> round(m.buy_price, 2) then m.buy_price end,
               'last_updated_from', case when m.last_updated is null then 'created_at' end,
               'source_product_id_from',
                   case when nullif(btrim(m.external_id), '') is null then 'supplier_name' end
           )) as metadata,
           case
               when p.id is null then 'product missing: ' || m.product_id
               when src.label is null then format('unknown source: %s', m.source)
               when m.buy_price < 0 then format('negative price: %s', m.buy_price)
               when round(m.buy_price * 100) > 2147483647
                   then format('price too large: %s', m.buy_price)
               when nullif(btrim(m.currency), '') is null then 'no currency: NULL'
               when cur.code is null then format('unknown currency: %s', m.currency)
               when m.stock_qty < 0 then format('negative stock: %s', m.stock_qty)
               when coalesce(m.last_updated, m.created_at) > now() + interval '5 minutes'
                   then format('observed in the future: %s', coalesce(m.last_updated, m.created_at))
               when coalesce(nullif(btrim(m.external_id), ''), btrim(m.supplier_name)) = ''
                   then 'no source product id: no external_id and no supplier name'
               when length(coalesce(nullif(btrim(m.external_id), ''), btrim(m.supplier_name))) > 100
                   then 'source product id too long: more than 100 characters'
           end as reason
    from integration.market_prices m
    left join products.products p on p.id = m.product_id
    left join retail_sources src on src.name = m.source
    left join availabilities av on av.name = m.availability
    left join core.currencies cur on cur.code = upper(btrim(m.currency))
    left join suppliers su on su.supplier_name = m.supplier_name
    where not exists (select 1 from integration.legacy_price_migrations l
                      where l.legacy_table = 'integration.market_prices' and l.legacy_id = m.id)
), resale as (
    select 'pricing.market_prices'::text as legacy_table,
           m.id as legacy_id,
           m.created_at as legacy_created_at,
           m.product_id,
           sm.size_id,
           src.label as source_label,
           p.sku::text as source_product_id,
           m.platform_name::text as source_name,
           'resale'::text as price_type,
           x.price as legacy_price,
           $1::text as currency,
           null::integer as stock_quantity,
           m.lowest_ask is not null as in_stock,
           cond.label as condition,
           null::text as source_url,
           null::uuid as supplier_id,
           m.price_date::timestamp at time zone 'UTC' as observed_at,
           jsonb_strip_nulls(jsonb_build_object(
               'legacy_table', 'pricing.market_prices',
               'legacy_id', m.id,
               'size_value', m.size_value,
               'condition', case when cond.label is null then m.condition end,
               'price_date', m.price_date,
               'price_field', x.field,
               'price_exact', case when x.price <> round(x.price, 2) then x.price end,
               'highest_bid', case when m.lowest_ask is not null or m.last_sale is not null
                                        or m.average_price is not null then m.highest_bid end,
               'last_sale', case when m.lowest_ask is not null then m.last_sale end,
               'average_price', case when m.lowest_ask is not null or m.last_sale is not null
                                     then m.average_price end,
               'sales_volume', m.sales_volume,
               'premium_percentage', m.premium_percentage,
               'data_quality_score', m.data_quality_score
           )) as metadata,
           case
               when p.id is null then 'product missing: ' || m.product_id
               when src.label is null then format('unknown source: %s', m.platform_name)
               when x.price is null
                   then 'no price: lowest_ask, last_sale, average_price and highest_bid are NULL'
               when x.price < 0 then format('negative price: %s', x.price)
               when round(x.price * 100) > 2147483647 then format('price too large: %s', x.price)
               when m.price_date::timestamp at time zone 'UTC' > now() + interval '5 minutes'
                   then format('observed in the future: %s', m.price_date)
               when sm.reason is not null then sm.reason
           end as reason
    from pricing.market_prices m
    -- the price: the lowest ask (what the pair costs on the market now), else the last sale,
    -- else the average price, else the highest bid; field names which one
    cross join lateral (
        select coalesce(m.lowest_ask, m.last_sale, m.average_price, m.highest_bid) as price,
               case when m.lowest_ask is not null then 'lowest_ask'
                    when m.last_sale is not null then 'last_sale'
                    when m.average_price is not null then 'average_price'
                    when m.highest_bid is not null then 'highest_bid' end as field
    ) x
    left join products.products p on p.id = m.product_id
    left join resale_sources src on src.name = m.platform_name
    left join resale_conditions cond on cond.name = m.condition
    left join size_match sm
      on sm.size_value = m.size_value
     and sm.source = m.platform_name
     and sm.brand_key = coalesce(p.brand_id, '00000000-0000-0000-0000-000000000000'::uuid)
     and sm.category_key = coalesce(p.category_id, '00000000-0000-0000-0000-000000000000'::uuid)
    where not exists (select 1 from integration.legacy_price_migrations l
                      where l.legacy_table = 'pricing.market_prices' and l.legacy_id = m.id)
), mapped as (
    -- A price source that a legacy row creates takes the legacy row's id (so either can be
    -- found from the other), unless a price source already has that id.
    select u.*, round(u.legacy_price * 100) as price_cents,
           case when taken.id is null then u.legacy_id else gen_random_uuid() end as new_id
    from (select * from retail union all select * from resale) u
    left join integration.price_sources taken on taken.id = u.legacy_id
), ranked as (
    -- Only what the ranking needs, so that the sort handles narrow rows. Rejected rows rank in
    -- partitions of their own, read by nobody: a filter here would hide the row count from the
    -- planner, which then sorts the wide rows to merge-join them with a few it expects.
    select m.legacy_id, m.legacy_table,
           row_number() over w as rank,
           first_value(m.new_id) over w as key_new_id
    from mapped m
    window w as (partition by m.reason is null, m.product_id, m.source_label,
                              m.source_product_id, m.size_id
                 order by m.observed_at desc, m.legacy_created_at desc, m.legacy_id desc)
)
-- A merged row's history row gets a new id (legacy_price_migrations names it).
select o.*, case when o.outcome = 'merged' then gen_random_uuid() end as history_id
from (
    select m.legacy_table, m.legacy_id, m.legacy_created_at, m.product_id, m.size_id,
           m.source_label::integration.source_type_enum as source_type,
           m.source_product_id, m.source_name,
           m.price_type::integration.price_type_enum as price_type,
           m.legacy_price, m.price_cents, m.currency, m.stock_quantity, m.in_stock,
           m.condition::integration.condition_enum as condition,
           m.source_url, m.supplier_id, m.observed_at, m.metadata, m.reason,
           m.new_id,
           case when m.reason is null then coalesce(ps.id, r.key_new_id) end as landing_id,
           case
               when m.reason is not null then 'rejected'
               when r.rank > 1 then 'merged'
               when ps.id is null then 'inserted'
               when ps.last_updated is null or m.observed_at > ps.last_updated then 'updated'
               else 'merged'
           end as outcome
    from mapped m
    left join ranked r on r.legacy_id = m.legacy_id and r.legacy_table = m.legacy_table
    left join integration.price_sources ps
      on m.reason is null
     and ps.product_id = m.product_id
     and ps.source_type = m.source_label::integration.source_type_enum
     and ps.source_product_id = m.source_product_id
     and coalesce(ps.size_id, '00000000-0000-0000-0000-000000000000'::uuid)
         = coalesce(m.size_id, '00000000-0000-0000-0000-000000000000'::uuid)
) o;
