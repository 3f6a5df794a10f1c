/*
 * geo.h - distances and dates as policy.md defines them.
 */
#ifndef FM_GEO_H
#define FM_GEO_H

#include <stdint.h>

#define FM_EARTH_RADIUS_KM 6371.0

/* Great-circle (haversine) distance in km between two points in degrees. */
double fm_geo_distance_km(double lat1, double lon1, double lat2, double lon2);

/* The same distance with cos(latitude) of both points given, as
 * fm_geo_cos_lat() computes it: bit-for-bit the same result, two cosines
 * cheaper, for loops that meet the same point many times. */
double fm_geo_cos_lat(double lat);
double fm_geo_distance_km_cos(double lat1, double lon1, double cos1,
                              double lat2, double lon2, double cos2);

/* Age in whole years on date `on` of someone born on `birth` (both yyyymmdd). */
int fm_geo_age(int32_t birth, int32_t on);

#endif
