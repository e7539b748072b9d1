-- The user of a live API token ($1: the SHA-256 of the token), marking the token used at most
-- once a minute. Every request with a Bearer token runs it (bench/api.sh runs it too).
with live as (
    select t.id, t.last_used_at, u.id as user_id, u.username, u.role::text as role
    from auth.api_tokens t join auth.users u on u.id = t.user_id
    where t.token_hash = $1 and u.is_active and t.revoked_at is null
      and (t.expires_at is null or t.expires_at > now())
), touched as (
    update auth.api_tokens t set last_used_at = now() from live
    where t.id = live.id
      and (live.last_used_at is null or live.last_used_at < now() - interval '1 minute')
)
select user_id, username, role from live
