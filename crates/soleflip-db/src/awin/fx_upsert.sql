-- Reference rates of one source ($1) against one base currency ($2): ($3 dates, $4 currencies,
-- $5 rates) zipped. A new rate is inserted; a republished rate that differs replaces the
-- stored one; an equal one is not touched. Returns how many were inserted and updated.
with written as (
    insert into core.fx_rates as f (source, rate_date, base_currency, currency, rate)
    select $1, d, $2, c, r
    from unnest($3::date[], $4::text[], $5::numeric[]) as x (d, c, r)
    on conflict (source, rate_date, base_currency, currency) do update
        set rate = excluded.rate, imported_at = now()
        where f.rate is distinct from excluded.rate
    returning (xmax = 0) as inserted
)
select count(*) filter (where inserted) as inserted,
       count(*) filter (where not inserted) as updated
from written
