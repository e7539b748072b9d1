-- The month partitions of integration.price_history that the history about to be written falls
-- in, created before it is written (with the rows of those months that were in the default
-- partition moved into them), so that every history row goes straight to its month.
-- Needs legacy_stage.
select integration.price_history_add_months(array(
    select distinct date_trunc('month', observed_at, 'UTC')
    from legacy_stage
    where outcome = 'merged'))
