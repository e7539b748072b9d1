-- Size rows for the sizes a source named that the size service read (a system, a value and a
-- cohort: a StockX `13` of a Nike product is US M 13) but that no products.sizes row of the
-- brand and category matches: created once per brand, category, cohort, system and value, with
-- the parsed label and the standardized EU value. Sizes the service refused (ambiguous,
-- unparsable) are never invented; they stay unmatched and their rows are rejected with the
-- reason. Input: the temporary tables size_reading and size_match of size_lookup.sql.
with created as (
    insert into products.sizes (brand_id, category_id, value, region, cohort, parsed,
                                standardized_value)
    select distinct on (coalesce(r.brand_id, '00000000-0000-0000-0000-000000000000'::uuid),
                        coalesce(r.category_id, '00000000-0000-0000-0000-000000000000'::uuid),
                        r.cohort, r.region, r.value_text)
           r.brand_id, r.category_id, regexp_replace(r.value_text, '\.0$', ''), r.region,
           r.cohort, r.parsed,
           r.standardized
    from size_match m
    join size_reading r on r.reading_id = m.reading_id
    where m.size_ids is null
      and not r.missing
      and r.problem is null
      and r.region is not null
      and r.value_text is not null
      and r.cohort is not null
      and r.brand_id is not null
    order by coalesce(r.brand_id, '00000000-0000-0000-0000-000000000000'::uuid),
             coalesce(r.category_id, '00000000-0000-0000-0000-000000000000'::uuid),
             r.cohort, r.region, r.value_text, r.reading_id
    on conflict do nothing
    returning 1
)
select count(*) from created
