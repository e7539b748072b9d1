-- The one place where a size string becomes a products.sizes row (migrate-legacy, prices
-- latest --size). Input: the temporary table size_reading, one row per (size string, brand,
-- category, source) as Rust read it with soleflip_domain::sizes (integration::read_size).
-- Output: the temporary table size_match, one row per reading: the candidate rows of the best
-- tier that has any, the single one when there is exactly one, and why not otherwise.
--
-- Candidates are the size rows of the product's brand (brand-less products: brand-less rows,
-- migration 3) in its category or in none. Tiers, best first:
--   1. the row's parsed form equals the reading's (`US M 10.5`; filled by sizes normalize);
--   2. same region and value: the row's region is the reading's system and its value is the
--      string as given or the reading's number (`US` / `10.5`);
--   3. same value, any region: only for a string the parser could not place in one system
--      (`10.5` from a source without a convention is US or UK; the size table may know);
--   4. same standardized (EU) value, cohorts compatible (equal, or unisex beside men's or
--      women's; kids' sizes only with the same cohort).
-- No row is created here: an unmatched size is reported; migrate-legacy then creates the rows
-- of the sizes the charts read (size_create.sql) and runs this lookup again.
create temporary table size_match on commit drop as
with candidates as (
    select r.reading_id, s.id as size_id,
           case
               when r.parsed is not null and s.parsed = r.parsed then 1
               when r.region is not null and upper(s.region) = r.region
                    and s.value in (btrim(r.size_value), r.value_text) then 2
               when r.region is null and s.value = btrim(r.size_value) then 3
               when r.standardized is not null and s.standardized_value = r.standardized
                    and (s.cohort = r.cohort
                         or (s.cohort = 'unisex' and r.cohort in ('M', 'W'))
                         or (r.cohort = 'unisex' and s.cohort in ('M', 'W'))) then 4
           end as tier
    from size_reading r
    join products.sizes s
      on s.brand_id is not distinct from r.brand_id
     and (s.category_id is null or s.category_id = r.category_id)
    where not r.missing
), best as (
    select reading_id, min(tier) as tier
    from candidates
    where tier is not null
    group by reading_id
), found as (
    select c.reading_id, array_agg(c.size_id order by c.size_id) as size_ids
    from candidates c
    join best b on b.reading_id = c.reading_id and b.tier = c.tier
    group by c.reading_id
)
-- brand_key / category_key: the ids with NULL as the zero uuid, so that callers can join on them
-- with a hash join.
select r.reading_id, r.size_value, r.source,
       coalesce(r.brand_id, '00000000-0000-0000-0000-000000000000'::uuid) as brand_key,
       coalesce(r.category_id, '00000000-0000-0000-0000-000000000000'::uuid) as category_key,
       f.size_ids,
       case when cardinality(f.size_ids) = 1 then f.size_ids[1] end as size_id,
       case
           when r.missing then null
           when f.size_ids is null and r.problem is not null
               then 'unreadable size: ' || r.problem
           when f.size_ids is null
               then format('unknown size: %s for brand %s (no products.sizes row matches)',
                           r.size_value, coalesce(r.brand_name, '(none)'))
           when cardinality(f.size_ids) > 1
               then format('ambiguous size: %s for brand %s matches %s products.sizes rows',
                           r.size_value, coalesce(r.brand_name, '(none)'),
                           cardinality(f.size_ids))
       end as reason
from size_reading r
left join found f on f.reading_id = r.reading_id;

-- Row counts for the planner, which otherwise guesses a few hundred rows and sorts a million
-- legacy rows to merge-join them here.
analyze size_match;
