-- The latest observation of a key, newer than its existing price source's, replaces it; the
-- history trigger records the observation it replaces. What the legacy row does not know (a
-- link, a supplier, a condition) is kept, and its metadata keys are added to the source's.
update integration.price_sources ps
   set source_name = s.source_name,
       price_type = s.price_type,
       price_cents = s.price_cents::integer,
       currency = s.currency,
       stock_quantity = s.stock_quantity,
       in_stock = s.in_stock,
       condition = coalesce(s.condition, ps.condition),
       source_url = coalesce(s.source_url, ps.source_url),
       supplier_id = coalesce(s.supplier_id, ps.supplier_id),
       metadata = coalesce(ps.metadata, '{}'::jsonb) || s.metadata,
       last_updated = s.observed_at
  from legacy_stage s
 where s.outcome = 'updated'
   and ps.id = s.landing_id
