-- (Bulk variant) triggers and foreign-key checks on again, before the moves of pairs in stock.
set local session_replication_role = origin
