/*
 * geo.c - haversine distance and whole-year age (see geo.h).
 *
 * The distance uses the asin form of the haversine formula on a sphere of
 * radius 6371.0 km, exactly as policy.md states, so that independent
 * re-implementations agree to the last bit on ordinary inputs.
 */
#include "geo.h"

#include <math.h>

static double radians(double deg)
{
    return deg * (M_PI / 180.0);
}

double fm_geo_cos_lat(double lat)
{
    return cos(radians(lat));
}

double fm_geo_distance_km_cos(double lat1, double lon1, double cos1,
                              double lat2, double lon2, double cos2)
{
    double dphi = radians(lat2 - lat1), dlambda = radians(lon2 - lon1);
    double s1 = sin(dphi / 2.0), s2 = sin(dlambda / 2.0);
    double a = s1 * s1 + cos1 * cos2 * s2 * s2;
    if (a > 1.0)
        a = 1.0;
    return 2.0 * FM_EARTH_RADIUS_KM * asin(sqrt(a));
}

double fm_geo_distance_km(double lat1, double lon1, double lat2, double lon2)
{
    return fm_geo_distance_km_cos(lat1, lon1, fm_geo_cos_lat(lat1),
                                  lat2, lon2, fm_geo_cos_lat(lat2));
}

int fm_geo_age(int32_t birth, int32_t on)
{
    /* yyyymmdd arithmetic: the birthday has come when mmdd(on) >= mmdd(birth). */
    return (int)((on - birth) / 10000);
}
