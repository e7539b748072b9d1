-- Brings the ledger's StockX listings (platforms.listings of platform stockx, by external_id)
-- up to date with the listings StockX reports ($1 id, $2 status active|ended|sold, $3 price,
-- $4 currency): an active listing takes StockX's price and currency; one StockX has ended is
-- ended. A sold one is left to the orders sync, which records the sale and marks it sold.
with api as (
    select * from unnest($1::text[], $2::text[], $3::numeric[], $4::text[])
        as a (listing_id, status, price, currency)
), matched as (
    select l.id, a.status, a.price, a.currency
      from platforms.listings l
      join core.platforms p on p.id = l.platform_id and p.slug = 'stockx'
      join api a on a.listing_id = l.external_id
), changed as (
    update platforms.listings l
       set status = case when m.status = 'ended' then 'ended' else l.status end,
           ended_at = case when m.status = 'ended' then now() else l.ended_at end,
           price = case when m.status = 'active' then coalesce(m.price, l.price) else l.price end,
           currency = case when m.status = 'active' then coalesce(m.currency, l.currency)
                           else l.currency end
      from matched m
     where l.id = m.id
       and l.status = 'active'
       and (m.status = 'ended'
            or (m.status = 'active'
                and (l.price is distinct from coalesce(m.price, l.price)
                     or l.currency <> coalesce(m.currency, l.currency))))
    returning l.id
)
select (select count(*) from matched) as matched, (select count(*) from changed) as changed
