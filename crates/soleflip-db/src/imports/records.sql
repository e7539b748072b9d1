-- One import_records row per line of the file, with its outcome (no personal data: the line
-- number and order number identify it).
insert into integration.import_records
    (batch_id, source_data, processed_data, status, error_message, processing_completed_at)
select $1, jsonb_build_object('line', line_no, 'order_number', order_number),
       case coalesce(outcome, 'imported')
           when 'imported' then jsonb_build_object(
               'order_id', order_id, 'pair_id', pair_id,
               'pair', case when pair_state is null then 'created' else 'matched' end)
           when 'present' then jsonb_build_object('order_id', order_id)
       end,
       coalesce(outcome, 'imported'), rejected, now()
  from pg_temp.import_sales
