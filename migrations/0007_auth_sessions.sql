-- 0007_auth_sessions: who may use the HTTP API, and a record of what they did (issue 17).
--
-- Adds to the `auth` schema:
--   1. auth.users: email becomes optional (a user added from the command line has a name and a
--      role, not necessarily a mailbox); is_active false is the disabled flag (no column is
--      added, so an adopted database keeps its rows exactly);
--   2. auth.sessions: browser sessions. The cookie's random token is stored only as its SHA-256
--      hash; a session ends at its expiry, after its idle timeout without a request, or when
--      revoked (logout, a password change, the user disabled);
--   3. auth.api_tokens: personal API tokens, named per user, stored only as a SHA-256 hash, with
--      an optional expiry and a revocation time;
--   4. auth.login_attempts: every password check by user name and client address, which the
--      application counts to rate-limit failures;
--   5. auth.setup_tokens: the one-time link that creates the first admin (30 minutes, once);
--   6. auth.audit_log: append-only, one row per mutation through the application: who, what,
--      on what, when, from which address, and the outcome. It never holds a secret (no password,
--      token or hash). Its actor is kept by id and name without a foreign key, so the record
--      outlives the user.
--
-- Decisions, and why:
--   * Hashes are SHA-256 of 32 random bytes: the tokens are high-entropy, so a fast hash is
--     enough (argon2 is for passwords, which are not).
--   * Timeouts and limits are the application's settings, not columns: changing them needs no
--     migration, and they apply to existing sessions at once.
--   * No updated_at on these tables: sessions record last_seen_at, tokens last_used_at, the
--     audit and attempts are never updated.

-- ---------------------------------------------------------------------------------------
-- 1. users
-- ---------------------------------------------------------------------------------------
alter table auth.users alter column email drop not null;
comment on column auth.users.is_active is
    'False: the user is disabled; every session and token of theirs is refused (and revoked)';

-- ---------------------------------------------------------------------------------------
-- 2. sessions
-- ---------------------------------------------------------------------------------------
create table auth.sessions (
    id             uuid          not null default gen_random_uuid(),
    user_id        uuid          not null,
    token_hash     bytea         not null,
    created_at     timestamptz   not null default now(),
    last_seen_at   timestamptz   not null default now(),
    expires_at     timestamptz   not null,
    revoked_at     timestamptz,
    revoked_reason text,
    client_addr    text,
    constraint sessions_pkey primary key (id),
    constraint sessions_token_hash_key unique (token_hash),
    constraint sessions_revoked_reason check ((revoked_at is null) = (revoked_reason is null)),
    constraint sessions_user_id_fkey foreign key (user_id)
        references auth.users (id) on delete cascade
);
create index idx_sessions_user_id on auth.sessions (user_id);

comment on table auth.sessions is
    'Browser sessions: the cookie token only as its SHA-256 hash; ended by expiry, idle timeout or revocation';
comment on column auth.sessions.token_hash is 'SHA-256 of the session token (the token itself is never stored)';
comment on column auth.sessions.last_seen_at is 'The last request of the session (for the idle timeout)';

-- ---------------------------------------------------------------------------------------
-- 3. personal API tokens
-- ---------------------------------------------------------------------------------------
create table auth.api_tokens (
    id            uuid          not null default gen_random_uuid(),
    user_id       uuid          not null,
    name          varchar(100)  not null,
    token_hash    bytea         not null,
    created_at    timestamptz   not null default now(),
    expires_at    timestamptz,
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    constraint api_tokens_pkey primary key (id),
    constraint api_tokens_token_hash_key unique (token_hash),
    constraint api_tokens_user_name_key unique (user_id, name),
    constraint api_tokens_name_not_blank check (btrim(name) <> ''),
    constraint api_tokens_user_id_fkey foreign key (user_id)
        references auth.users (id) on delete cascade
);

comment on table auth.api_tokens is
    'Personal API tokens (Authorization: Bearer): shown once, stored only as a SHA-256 hash';
comment on column auth.api_tokens.expires_at is 'NULL: the token does not expire (it can still be revoked)';

-- ---------------------------------------------------------------------------------------
-- 4. login attempts
-- ---------------------------------------------------------------------------------------
create table auth.login_attempts (
    id           bigint        generated by default as identity,
    username     varchar(100)  not null,
    client_addr  text          not null,
    attempted_at timestamptz   not null default now(),
    succeeded    boolean       not null,
    constraint login_attempts_pkey primary key (id)
);
create index idx_login_attempts_username on auth.login_attempts (username, attempted_at);
create index idx_login_attempts_client on auth.login_attempts (client_addr, attempted_at);

comment on table auth.login_attempts is
    'Every password check, by the name given and the client address, counted to rate-limit failures';

-- ---------------------------------------------------------------------------------------
-- 5. first-admin setup tokens
-- ---------------------------------------------------------------------------------------
create table auth.setup_tokens (
    id          uuid          not null default gen_random_uuid(),
    token_hash  bytea         not null,
    created_at  timestamptz   not null default now(),
    expires_at  timestamptz   not null,
    used_at     timestamptz,
    constraint setup_tokens_pkey primary key (id),
    constraint setup_tokens_token_hash_key unique (token_hash)
);

comment on table auth.setup_tokens is
    'One-time links that create the first admin (printed by soleflip serve; valid 30 minutes, used once)';

-- ---------------------------------------------------------------------------------------
-- 6. audit log
-- ---------------------------------------------------------------------------------------
create table auth.audit_log (
    id           bigint        generated by default as identity,
    at           timestamptz   not null default now(),
    actor_id     uuid,
    actor        varchar(100)  not null,
    action       varchar(100)  not null,
    target       text,
    client_addr  text,
    outcome      varchar(20)   not null,
    detail       text,
    constraint audit_log_pkey primary key (id),
    constraint audit_log_outcome check (outcome in ('ok', 'refused', 'failed'))
);
create index idx_audit_log_at on auth.audit_log (at);

comment on table auth.audit_log is
    'Append-only record of every mutation: who, what, target, when, client address, outcome; never a secret';
comment on column auth.audit_log.actor is
    'The user''s name at the time (or cli, setup, anonymous); kept when the user is gone';

create function auth.audit_log_append_only() returns trigger
language plpgsql
as $$
begin
    raise exception using
        errcode = 'check_violation',
        constraint = 'audit_log_append_only',
        message = format('audit_log is append-only: %s of entry %s refused', lower(tg_op), old.id);
end;
$$;

create trigger trigger_audit_log_append_only
    before update or delete on auth.audit_log
    for each row execute function auth.audit_log_append_only();
