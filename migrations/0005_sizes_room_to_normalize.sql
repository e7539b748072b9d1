-- 0005_sizes_room_to_normalize: every normalized size row fits on its own page.
--
-- Migration 3 gave products.sizes a fillfactor of 50 so that `soleflip sizes normalize` is a
-- HOT update (the new row version lands on the same page, and none of the four indexes is
-- touched). But the first normalization of a row fills parsed, standardized_exact and
-- standardized_value, so the new version is about a fifth longer than the old one, and half a
-- page is not room enough for all of them: measured on 1,035,000 rows, 8.5 % of the updates
-- moved to another page and wrote four index entries each, a quarter of the UPDATE's time.
-- At 40 every new version fits: that UPDATE went from 9.5 s to 6.8 s (all 1,005,000 HOT).
-- The table grows by about a sixth. Like migration 3's setting, it applies to pages written
-- from now on.
--
-- How the file is meant to run (as the migrations before it): the runner wraps it in one
-- transaction; every name is schema-qualified.

alter table products.sizes set (fillfactor = 40);
