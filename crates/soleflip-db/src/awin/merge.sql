-- The file's offers into integration.awin_products in one statement: new ones inserted, known
-- ones given every value the feed carries and the batch that last saw them ($1). The table's
-- row trigger appends one history row per real change of price or stock.
insert into integration.awin_products as p (
    merchant_id, merchant_product_id, awin_product_id, merchant_name, data_feed_id,
    product_name, brand_name, brand_id, ean, product_gtin, upc, gtin, mpn, product_model,
    search_price, store_price, rrp_price, delivery_cost, currency, description,
    short_description, colour, size, in_stock, stock_quantity, delivery_time, image_url,
    thumbnail_url, affiliate_link, merchant_link, parent_product_id, last_seen_batch_id,
    last_seen_at, feed_import_date)
select merchant_id, merchant_product_id, awin_product_id, merchant_name, data_feed_id,
       product_name, brand_name, brand_id, ean, product_gtin, upc, gtin, mpn, product_model,
       search_price, store_price, rrp_price, delivery_cost, currency, description,
       short_description, colour, size, in_stock, stock_quantity, delivery_time, image_url,
       thumbnail_url, affiliate_link, merchant_link, parent_product_id, $1, now(), now()
from awin_incoming
on conflict (merchant_id, merchant_product_id) do update set
    awin_product_id = excluded.awin_product_id,
    merchant_name = excluded.merchant_name,
    data_feed_id = excluded.data_feed_id,
    product_name = excluded.product_name,
    brand_name = excluded.brand_name,
    brand_id = excluded.brand_id,
    ean = excluded.ean,
    product_gtin = excluded.product_gtin,
    upc = excluded.upc,
    gtin = excluded.gtin,
    mpn = excluded.mpn,
    product_model = excluded.product_model,
    search_price = excluded.search_price,
    store_price = excluded.store_price,
    rrp_price = excluded.rrp_price,
    delivery_cost = excluded.delivery_cost,
    currency = excluded.currency,
    description = excluded.description,
    short_description = excluded.short_description,
    colour = excluded.colour,
    size = excluded.size,
    in_stock = excluded.in_stock,
    stock_quantity = excluded.stock_quantity,
    delivery_time = excluded.delivery_time,
    image_url = excluded.image_url,
    thumbnail_url = excluded.thumbnail_url,
    affiliate_link = excluded.affiliate_link,
    merchant_link = excluded.merchant_link,
    parent_product_id = excluded.parent_product_id,
    last_seen_batch_id = excluded.last_seen_batch_id,
    last_seen_at = excluded.last_seen_at
