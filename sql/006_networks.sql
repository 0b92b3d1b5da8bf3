-- compatible-from: 4
-- Partner networks per region (design §3.2, §3.3): which municipalities a region expects for a
-- period and the current network document of each that submitted one. The daemon evaluates the
-- approach steps and tallies statuses (api/network_doc.c, the one implementation of the step
-- rules), so SQL only selects. Networks are written by put_submission/delete_submission (sql/004)
-- with kind 'network'; the live revision's content is what counts.
--
-- Network counts are numbers of municipalities with a status, not counts of children, so they are
-- published as they are, without cell-key perturbation (design §5 protects child counts).

-- One row per member municipality of each region of p_set on the period's last day (the
-- classification valid then, as for funnels), with `content` the document of its live network
-- revision for the period, or NULL when it has none. Ordered by region, then municipality.
CREATE FUNCTION network_members(p_set text, p_period text, p_regions text[])
RETURNS TABLE (region_code text, region_name text, member text, content jsonb)
LANGUAGE sql STABLE AS $$
    SELECT c.region_code, c.region_name, c.member, r.content
      FROM region_contributions(p_set, ARRAY[p_period], p_regions, false) c
      LEFT JOIN submissions s ON s.kind = 'network' AND s.live AND s.period = c.period
                             AND s.municipality_code = c.contributor
      LEFT JOIN revisions r ON r.submission_id = s.id AND r.revision = s.current_revision
     ORDER BY c.region_code, c.member
$$;
