-- Step 1 of the cascade: an offer whose GTIN is a variant's is that variant. Offers already
-- matched keep their match; a pair a person rejected is not matched again; a proposal waiting
-- for review is replaced (the GTIN settles it).
with hits as (
    select o.id as offer_id, g.variant_id
      from integration.awin_products o
      join products.variant_gtins g on g.gtin = o.gtin
     where o.gtin is not null
       and not exists (select 1 from integration.offer_matches m
                        where m.offer_id = o.id and m.status = 'matched')
       and not exists (select 1 from integration.offer_matches r
                        where r.offer_id = o.id and r.status = 'rejected'
                          and r.variant_id = g.variant_id)
), cleared as (
    delete from integration.offer_matches m
     using hits h
     where m.offer_id = h.offer_id and m.status = 'review'
    returning m.offer_id
)
select h.offer_id, h.variant_id, (select count(*) from cleared) as cleared
  from hits h
