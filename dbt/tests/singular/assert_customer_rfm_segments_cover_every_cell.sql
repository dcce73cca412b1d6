-- The seed rfm_segments maps each of the 25 R x F cells to exactly one segment.
with cells as (

    select
        r_score,
        f_score
    from range(1, 6) as r (r_score)
    cross join range(1, 6) as f (f_score)

),

matches as (

    select
        cells.r_score,
        cells.f_score,
        count(segments.segment) as segments_count,
        string_agg(segments.segment, ', ') as segment_names
    from cells
    left join {{ ref('rfm_segments') }} as segments
        on cells.r_score between segments.r_score_min and segments.r_score_max
        and cells.f_score between segments.f_score_min and segments.f_score_max
    group by cells.r_score, cells.f_score

)

select *
from matches
where segments_count <> 1
