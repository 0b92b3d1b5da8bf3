/* Unit tests of the pure parts of daemon/loaders: field checks, --columns, and the parsing step
 * (header mapping, BOM and ';', trimming, line numbers of problems, the region code prefix). */
#include "daemon/loaders.h"
#include "core/label.h"
#include "core/municipality_code.h"

#include <criterion/criterion.h>
#include <string.h>

Test(loaders_unit, dates, .timeout = 30)
{
    char out[11];
    cr_assert_eq(loader_parse_date("2026-01-01", false, out), 0);
    cr_assert_str_eq(out, "2026-01-01");
    cr_assert_eq(loader_parse_date("2024-02-29", true, out), 0);
    cr_assert_eq(loader_parse_date("", false, out), 0);
    cr_assert_str_eq(out, "-infinity");
    cr_assert_eq(loader_parse_date("", true, out), 0);
    cr_assert_str_eq(out, "infinity");
    const char *bad[] = {"2025-02-29", "2025-13-01", "2025-04-31", "2025-00-10",
                         "25-01-01",   "2025/01/01", "2025-1-01",  "01-01-2025",
                         "1799-12-31", "3000-01-01", "infinity",   " 2025-01-01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(loader_parse_date(bad[i], false, out), -1, "%s", bad[i]);
}

Test(loaders_unit, codes_labels_and_counts, .timeout = 30)
{
    cr_assert(municipality_code_valid("GM0599"));
    cr_assert_not(municipality_code_valid("GM599"));
    cr_assert_not(municipality_code_valid("gm0599"));
    cr_assert_not(municipality_code_valid("GM05990"));
    cr_assert(loader_is_region_code("JZ36"));
    cr_assert(loader_is_region_code("VT-Midden.Brabant_1"));
    cr_assert_not(loader_is_region_code("-JZ"));
    cr_assert_not(loader_is_region_code("JZ 36"));
    cr_assert_not(loader_is_region_code(""));
    cr_assert(loader_is_set_key("youthRegion"));
    cr_assert_not(loader_is_set_key("YouthRegion"));
    cr_assert_not(loader_is_set_key("youth_region"));
    cr_assert(label_valid("Nuenen, Gerwen en Nederwetten"));
    cr_assert_not(label_valid("   "));
    cr_assert_not(label_valid("a\tb"));

    long long v = -1;
    cr_assert_eq(loader_parse_count("0", 0, 10, &v), 0);
    cr_assert_eq(v, 0);
    cr_assert_eq(loader_parse_count("133250", 0, 100000000, &v), 0);
    cr_assert_eq(v, 133250);
    const char *bad[] = {"", "-5", "+5", "133.250", "1e3", "12 ", "999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(loader_parse_count(bad[i], 0, 100000000, &v), -1, "'%s'", bad[i]);
    cr_assert_eq(loader_parse_count("1899", 1900, 2200, &v), -1);

    char s[] = " \tGM0014    \r";
    cr_assert_str_eq(loader_trim(s), "GM0014");
}

Test(loaders_unit, columns_spec, .timeout = 30)
{
    struct loader_columns cols = {0};
    char err[256];
    cr_assert_eq(loader_columns_parse(LOADER_REGIONS,
                                      "municipality_code=Code_1, region_code = Code_16,"
                                      "region_name=Naam_17",
                                      &cols, err, sizeof err),
                 0, "%s", err);
    cr_assert_str_eq(cols.header[0], "Code_1");
    cr_assert_str_eq(cols.header[1], "Code_16");
    cr_assert_str_eq(cols.header[2], "Naam_17");
    cr_assert_null(cols.header[3]);
    loader_columns_free(&cols);

    cr_assert_eq(loader_columns_parse(LOADER_REGIONS, "gemeente=Code_1", &cols, err, sizeof err),
                 -1);
    cr_assert(strstr(err, "'gemeente' is not a column of load regions") != NULL, "%s", err);
    cr_assert_eq(
        loader_columns_parse(LOADER_REGIONS, "region_code=A,region_code=B", &cols, err, sizeof err),
        -1);
    cr_assert_eq(loader_columns_parse(LOADER_POPULATION, "year", &cols, err, sizeof err), -1);
    cr_assert_eq(loader_columns_parse(LOADER_POPULATION, "year=", &cols, err, sizeof err), -1);
    for (size_t i = 0; i < LOADER_MAX_COLUMNS; i++)
        cr_assert_null(cols.header[i]);
}

static void parse(enum loader_kind kind, const struct loader_columns *cols, const char *from,
                  const char *text, struct loader_parse *p)
{
    cr_assert_eq(loader_parse_buffer(kind, cols, from, text, strlen(text), p), 0);
}

Test(loaders_unit, a_cbs_style_table, .timeout = 30)
{
    struct loader_columns cols = {0};
    char err[256];
    cr_assert_eq(loader_columns_parse(LOADER_REGIONS,
                                      "municipality_code=Code_1,region_code=Code_16,"
                                      "region_name=Naam_17",
                                      &cols, err, sizeof err),
                 0);
    struct loader_parse p;
    parse(LOADER_REGIONS, &cols, NULL,
          "\xEF\xBB\xBF\"ID\";\"Code_1\";\"Code_16\";\"Naam_17\"\r\n"
          "0;\"GM0014    \";\"JZ01    \";\"Groningen     \"\r\n"
          "1;\"GM0820    \";\"JZ33    \";\"Zuidoost, Brabant \"\r\n",
          &p);
    cr_assert_eq(p.total_errors, 0, "%s", p.nerrors ? p.errors[0].message : "");
    cr_assert_eq(json_array_size(p.rows), 2);
    json_t *row = json_array_get(p.rows, 1);
    cr_assert_eq(json_integer_value(json_object_get(row, "line")), 3);
    cr_assert_str_eq(json_string_value(json_object_get(row, "code")), "GM0820");
    cr_assert_str_eq(json_string_value(json_object_get(row, "region")), "JZ33");
    cr_assert_str_eq(json_string_value(json_object_get(row, "name")), "Zuidoost, Brabant");
    cr_assert_str_eq(json_string_value(json_object_get(row, "valid_from")), "-infinity");
    cr_assert_str_eq(json_string_value(json_object_get(row, "valid_to")), "infinity");
    cr_assert_str_eq(p.code_prefix, "JZ");
    loader_parse_free(&p);
    loader_columns_free(&cols);
}

Test(loaders_unit, problems_name_their_physical_lines, .timeout = 30)
{
    struct loader_parse p;
    /* The quoted name on line 2 spans two physical lines (and a name may not hold a line
     * break): the next record starts on line 4. */
    parse(LOADER_MUNICIPALITIES, NULL, NULL,
          "municipality_code,municipality_name,valid_from,valid_to\n"
          "GM0001,\"Twee\nregels\",,\n"
          "GM12,Kort,,\n"
          "\n"
          "GM0002,Datum,2026-02-30,\n"
          "GM0003,Omgekeerd,2026-01-01,2025-12-31\n"
          "GM0004,Te weinig\n"
          "GM0005,\"Goed\",2026-01-01,\n",
          &p);
    cr_assert_eq(p.total_errors, 5);
    cr_assert_eq(p.errors[0].line, 2);
    cr_assert(strstr(p.errors[0].message, "is not a name") != NULL);
    cr_assert_eq(p.errors[1].line, 4);
    cr_assert(strstr(p.errors[1].message, "'GM12' is not a CBS code") != NULL);
    cr_assert_eq(p.errors[2].line, 6);
    cr_assert(strstr(p.errors[2].message, "valid_from '2026-02-30'") != NULL);
    cr_assert_eq(p.errors[3].line, 7);
    cr_assert(strstr(p.errors[3].message, "is after valid_to") != NULL);
    cr_assert_eq(p.errors[4].line, 8);
    cr_assert_str_eq(p.errors[4].message, "2 fields where the header has 4");
    cr_assert_eq(json_array_size(p.rows), 1);
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(p.rows, 0), "line")), 9);
    cr_assert_eq(p.data_rows, 6);
    loader_parse_free(&p);
}

Test(loaders_unit, a_missing_column_is_an_error_on_line_1, .timeout = 30)
{
    struct loader_parse p;
    parse(LOADER_POPULATION, NULL, NULL, "municipality_code;jaar;population_0_17\nGM0014;2024;5\n",
          &p);
    cr_assert_eq(p.total_errors, 1);
    cr_assert_eq(p.errors[0].line, 1);
    cr_assert(strstr(p.errors[0].message, "no column 'year'") != NULL, "%s", p.errors[0].message);
    cr_assert_eq(json_array_size(p.rows), 0);
    loader_parse_free(&p);

    parse(LOADER_LINEAGE, NULL, NULL, "", &p);
    cr_assert_eq(p.total_errors, 1);
    cr_assert(strstr(p.errors[0].message, "no data rows") != NULL);
    loader_parse_free(&p);
}

Test(loaders_unit, regions_from_a_date_and_mixed_prefixes, .timeout = 30)
{
    struct loader_parse p;
    parse(LOADER_REGIONS, NULL, "2026-01-01",
          "region_name,region_code,municipality_code,valid_from\n"
          "Noord,JZ01,GM0014,\n"
          "Zuid,VT02,GM0599,2027-01-01\n"
          "West,JZ03,GM0363,2025-06-30\n",
          &p);
    cr_assert_eq(p.total_errors, 1);
    cr_assert_eq(p.errors[0].line, 4);
    cr_assert(strstr(p.errors[0].message, "before --from 2026-01-01") != NULL, "%s",
              p.errors[0].message);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(p.rows, 0), "valid_from")),
                     "2026-01-01");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(p.rows, 1), "valid_from")),
                     "2027-01-01");
    cr_assert_str_eq(p.code_prefix, "", "JZ and VT share no prefix");
    loader_parse_free(&p);
}

Test(loaders_unit, lineage_rows, .timeout = 30)
{
    struct loader_parse p;
    parse(LOADER_LINEAGE, NULL, NULL,
          "predecessor_code,successor_code,date\n"
          "GM0014,GM9001,2026-01-01\n"
          "GM0014,GM0014,2026-01-01\n"
          "GM0034,GM9001,\n",
          &p);
    cr_assert_eq(p.total_errors, 2);
    cr_assert_eq(p.errors[0].line, 3);
    cr_assert(strstr(p.errors[0].message, "cannot succeed itself") != NULL);
    cr_assert_eq(p.errors[1].line, 4);
    cr_assert(strstr(p.errors[1].message, "date '' is not a date") != NULL);
    cr_assert_eq(json_array_size(p.rows), 1);
    loader_parse_free(&p);
}
