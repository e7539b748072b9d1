-- One row per offer of the file: the last line of an offer given twice wins. Analyzed, so that
-- the merge's join is planned on real row counts.
create temporary table awin_incoming on commit drop as
select distinct on (merchant_id, merchant_product_id) *
from awin_stage
order by merchant_id, merchant_product_id, line desc;

analyze awin_incoming (merchant_id, merchant_product_id);
