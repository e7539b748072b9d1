-- First in, first out: per product and size, the k-th sale (by sale time) takes the k-th pair
-- in stock (by when it entered the books), if that pair entered the books before the sale.
-- Sizes compare by their standardized EU value on the brand's chart when both have one (a
-- StockX `10.5` and an invoice's `US 10.5` are the same shoe), else by size row.
with sales as (
    select s.line_no, s.product_id, s.sold_at,
           coalesce('EU ' || z.standardized_value::text, z.id::text) as size_key,
           row_number() over (partition by s.product_id,
                                           coalesce('EU ' || z.standardized_value::text, z.id::text)
                              order by s.sold_at, s.line_no) as k
      from pg_temp.import_sales s
      join products.sizes z on z.id = s.size_id
     where s.outcome is null
), stock as (
    select i.id, i.product_id, i.detailed_status, e.occurred_at as entered,
           coalesce('EU ' || z.standardized_value::text, z.id::text) as size_key,
           row_number() over (partition by i.product_id,
                                           coalesce('EU ' || z.standardized_value::text, z.id::text)
                              order by e.occurred_at, i.id) as k
      from products.inventory i
      join products.sizes z on z.id = i.size_id
      join products.inventory_events e on e.inventory_id = i.id and e.from_state is null
     where i.detailed_status in ('incoming', 'available', 'consigned')
       and i.product_id in (select product_id from pg_temp.import_sales where outcome is null)
)
update pg_temp.import_sales s set pair_id = st.id, pair_state = st.detailed_status
  from sales sa
  join stock st on st.product_id = sa.product_id and st.size_key = sa.size_key and st.k = sa.k
 where s.line_no = sa.line_no and st.entered <= sa.sold_at
