/*
 * handlers.h - one function per wire method, grouped by area in
 * handlers_*.c.  Private to engine/.
 *
 * Each handler receives a call whose token (if any) was checked by
 * dispatch.c (call->who), validates the request, does the work at once on
 * the loop thread (quick reads and small writes) or hands it to a job
 * (jobs.h: imports, rounds), and ends the call with fm_call_finish exactly
 * once, with a result or with an error (dispatch.h says how store and
 * solver errors map to codes).
 */
#ifndef FM_HANDLERS_H
#define FM_HANDLERS_H

#include "dispatch.h"

/* handlers_status.c */
void fm_handle_status(fm_call *call);

/* handlers_rows.c: typed batches, withdraw, list */
void fm_handle_upsert(fm_call *call);
void fm_handle_withdraw(fm_call *call);
void fm_handle_list(fm_call *call);

/* handlers_import.c: CSV text in chunks */
void fm_handle_import_csv(fm_call *call);
/* Drops the connection's unfinished uploads. */
void fm_uploads_free(fm_conn *c);

/* handlers_rounds.c */
void fm_handle_run_round(fm_call *call);
void fm_handle_round_status(fm_call *call);
void fm_handle_show_round(fm_call *call);
void fm_handle_list_rounds(fm_call *call);
void fm_handle_cancel_round(fm_call *call);
void fm_handle_rerun_round(fm_call *call);

/* handlers_assignments.c */
void fm_handle_list_assignments(fm_call *call);
void fm_handle_decide_assignment(fm_call *call);
void fm_handle_export_round(fm_call *call);

#endif
