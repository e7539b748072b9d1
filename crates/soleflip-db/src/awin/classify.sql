-- New, changed and unchanged offers of the file, before the merge: an offer is changed when
-- any value the feed carries differs from the stored one (when it was last seen is not a
-- value of the offer). Unchanged is what exists and did not change: the columns are compared once.
select new, changed, existing - changed as unchanged
from (
select count(*) filter (where p.id is null) as new,
       count(p.id) as existing,
       count(*) filter (where p.id is not null and (
           i.awin_product_id, i.merchant_name, i.data_feed_id, i.product_name, i.brand_name,
           i.brand_id, i.ean, i.product_gtin, i.upc, i.gtin, i.mpn, i.product_model,
           i.search_price, i.store_price, i.rrp_price, i.delivery_cost, i.currency,
           i.description, i.short_description, i.colour, i.size, i.in_stock, i.stock_quantity,
           i.delivery_time, i.image_url, i.thumbnail_url, i.affiliate_link, i.merchant_link,
           i.parent_product_id)
         is distinct from (
           p.awin_product_id, p.merchant_name, p.data_feed_id, p.product_name, p.brand_name,
           p.brand_id, p.ean, p.product_gtin, p.upc, p.gtin, p.mpn, p.product_model,
           p.search_price, p.store_price, p.rrp_price, p.delivery_cost, p.currency,
           p.description, p.short_description, p.colour, p.size, p.in_stock, p.stock_quantity,
           p.delivery_time, p.image_url, p.thumbnail_url, p.affiliate_link, p.merchant_link,
           p.parent_product_id)) as changed
from awin_incoming i
left join integration.awin_products p
       on p.merchant_id = i.merchant_id and p.merchant_product_id = i.merchant_product_id
) counts
