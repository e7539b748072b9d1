-- The user of a live session ($1: the SHA-256 of the cookie's token; $2: the idle timeout in
-- seconds): not revoked, not expired, seen within the idle timeout, its user active. It is
-- marked seen at most once a minute: a page view is then a read, not a durable commit (which
-- cost more than the page itself, bench/web.sh), and the idle timeout can only end a session
-- up to a minute early, never late.
with live as (
    select s.token_hash, s.last_seen_at, u.id as user_id, u.username, u.role::text as role
    from auth.sessions s join auth.users u on u.id = s.user_id
    where s.token_hash = $1 and u.is_active and s.revoked_at is null
      and s.expires_at > now() and s.last_seen_at > now() - make_interval(secs => $2)
), touched as (
    update auth.sessions s set last_seen_at = now() from live
    where s.token_hash = live.token_hash
      and live.last_seen_at < now() - interval '1 minute'
)
select user_id, username, role from live
