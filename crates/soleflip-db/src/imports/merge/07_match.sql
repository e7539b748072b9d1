-- First in, first out: per product and size, the k-th sale (by sale time) takes the k-th pair
-- in stock (by when it entered the books), if that pair entered the books before the sale.
with sales as (
    select line_no, product_id, size_id, sold_at,
           row_number() over (partition by product_id, size_id order by sold_at, line_no) as k
      from pg_temp.import_sales
     where outcome is null
), stock as (
    select i.id, i.product_id, i.size_id, i.detailed_status, e.occurred_at as entered,
           row_number() over (partition by i.product_id, i.size_id
                              order by e.occurred_at, i.id) as k
      from products.inventory i
      join products.inventory_events e on e.inventory_id = i.id and e.from_state is null
     where i.detailed_status in ('incoming', 'available', 'consigned')
       and (i.product_id, i.size_id) in (select product_id, size_id from pg_temp.import_sales
                                          where outcome is null)
)
update pg_temp.import_sales s set pair_id = st.id, pair_state = st.detailed_status
  from sales sa
  join stock st on st.product_id = sa.product_id and st.size_id = sa.size_id and st.k = sa.k
 where s.line_no = sa.line_no and st.entered <= sa.sold_at
