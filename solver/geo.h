/*
 * geo.h - distances and dates as policy.md defines them.
 */
#ifndef FM_GEO_H
#define FM_GEO_H

#include <stdint.h>

#define FM_EARTH_RADIUS_KM 6371.0

/* Great-circle (haversine) distance in km between two points in degrees. */
double fm_geo_distance_km(double lat1, double lon1, double lat2, double lon2);

/* Age in whole years on date `on` of someone born on `birth` (both yyyymmdd). */
int fm_geo_age(int32_t birth, int32_t on);

#endif
