-- The size strings of the pricing.market_prices rows still to migrate, once per brand,
-- category and platform (what reading a size depends on), for integration::read_size.
-- (The quoted aliases tell sqlx's query macros which columns may be null.)
select distinct m.size_value::text as "size_value!", p.brand_id as "brand_id?",
       b.slug::text as "brand_slug?", b.name::text as "brand_name?",
       p.category_id as "category_id?", m.platform_name::text as "platform!"
from pricing.market_prices m
join products.products p on p.id = m.product_id
left join core.brands b on b.id = p.brand_id
where m.size_value is not null
  and not exists (select 1 from integration.legacy_price_migrations l
                  where l.legacy_table = 'pricing.market_prices' and l.legacy_id = m.id)
