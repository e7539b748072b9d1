-- A person's decision on one match row: accept (status matched, method manual, the variant
-- given or the row's own) or reject (status rejected: remembered, never proposed again).
-- Returns nothing when the row does not exist or is already rejected.
update integration.offer_matches m
   set status = $2, method = 'manual', variant_id = coalesce($3, m.variant_id),
       decided_by = $4, decided_at = now(),
       reason = case when $2 = 'matched' then null else m.reason end
 where m.id = $1 and m.status <> 'rejected'
returning m.id, m.offer_id, m.variant_id, m.product_id, m.status
