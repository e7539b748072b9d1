-- An order number seen earlier in the same file: the later line is refused.
update pg_temp.import_sales s
   set outcome = 'rejected',
       rejected = format('order %s is also on line %s of this file', s.order_number, d.first_line)
  from (select line_no, min(line_no) over (partition by order_number) as first_line
          from pg_temp.import_sales
         where outcome is null) d
 where d.line_no = s.line_no and d.first_line <> s.line_no
