/* output.c - what a backtest leaves behind: one CSV row per reported
 * window, the alert events as the publisher's JSON lines, and a
 * self-contained HTML page per instrument (inline SVG; no script, no font,
 * no network) that a person can open anywhere. Plots are downsampled to
 * min/max per pixel column so a whole day stays a few hundred kB. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtest/backtest.h"
#include "publisher/publisher.h"

int tg_bt_write_csv(const char *path, const struct tg_bt_input *in, const struct tg_bt_result *res)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f,
	        "instrument,last_tick,ts_ns,price,score,threshold,anomalous,alert_id,norm_score\n");
	for (uint32_t i = 0; i < res->n; i++) {
		const struct tg_bt_inst *bi = &res->inst[i];
		const struct tg_bt_series *s = &in->s[i];
		for (uint64_t k = 0; k < bi->n_windows; k++) {
			const struct tg_bt_window *w = &bi->w[k];
			if (w->status != TG_BT_W_SCORED) {
				fprintf(f, "%s,%llu,%llu,%.10g,,%.17g,,,\n", s->name,
				        (unsigned long long)w->last_tick,
				        (unsigned long long)s->ts_ns[w->last_tick],
				        s->px[w->last_tick], res->threshold);
				continue;
			}
			fprintf(f, "%s,%llu,%llu,%.10g,%.17g,%.17g,%u,%llu,%.6f\n", s->name,
			        (unsigned long long)w->last_tick,
			        (unsigned long long)s->ts_ns[w->last_tick], s->px[w->last_tick],
			        w->score, res->threshold, w->anomalous,
			        (unsigned long long)w->alert_id,
			        tg_bt_norm(w->score, res->threshold));
		}
	}
	int rc = ferror(f) ? -EIO : 0;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

struct bt_ev {
	uint64_t ts;
	uint32_t inst;
	size_t idx;
};

static int bt_ev_cmp(const void *a, const void *b)
{
	const struct bt_ev *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->inst != y->inst)
		return x->inst < y->inst ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

int tg_bt_write_jsonl(const char *path, const struct tg_bt_input *in,
                      const struct tg_bt_result *res)
{
	/* one stream in exchange-time order (ties: instrument, then event
	 * order), the publisher's JSON for each event */
	size_t n = 0, k = 0;
	for (uint32_t i = 0; i < res->n; i++)
		n += res->inst[i].n_alerts;
	struct bt_ev *ev = malloc((n ? n : 1) * sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	for (uint32_t i = 0; i < res->n; i++)
		for (size_t z = 0; z < res->inst[i].n_alerts; z++)
			ev[k++] = (struct bt_ev){res->inst[i].alerts[z].exch_ts_ns, i, z};
	qsort(ev, n, sizeof(*ev), bt_ev_cmp);
	FILE *f = fopen(path, "w");
	if (!f) {
		int e = -errno;
		free(ev);
		return e;
	}
	char buf[1024];
	for (k = 0; k < n; k++) {
		int len = tg_alert_json(&res->inst[ev[k].inst].alerts[ev[k].idx],
		                        in->s[ev[k].inst].name, buf, sizeof(buf));
		if (len > 0)
			fwrite(buf, 1, (size_t)len, f);
	}
	free(ev);
	int rc = ferror(f) ? -EIO : 0;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

/* ---- HTML ------------------------------------------------------------------ */

#define PW   1000.0 /* plot width (px) */
#define PH   220.0
#define ML   70.0 /* left margin */
#define MT   20.0
#define COLS 1000

static void html_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

struct plot {
	double x0, x1, y0, y1;
	bool logy;
};

static double px_x(const struct plot *p, double x)
{
	return ML + (p->x1 > p->x0 ? (x - p->x0) / (p->x1 - p->x0) : 0.5) * PW;
}

static double px_y(const struct plot *p, double y)
{
	if (p->logy)
		y = log10(y > 1e-300 ? y : 1e-300);
	double t = p->y1 > p->y0 ? (y - p->y0) / (p->y1 - p->y0) : 0.5;
	if (t < -0.05)
		t = -0.05;
	if (t > 1.05)
		t = 1.05;
	return MT + (1.0 - t) * PH;
}

static void fmt_tod(char *b, size_t n, double ns)
{
	if (ns < 0)
		ns = 0;
	double s = ns / 1e9;
	if (s < 172800.0) {
		int h = (int)(s / 3600), m = (int)(fmod(s, 3600) / 60), sec = (int)fmod(s, 60);
		snprintf(b, n, "%02d:%02d:%02d", h, m, sec);
	} else {
		snprintf(b, n, "%.6g", ns);
	}
}

static void svg_axes(FILE *f, const struct plot *p, const char *ylabel, bool time_x)
{
	fprintf(f,
	        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fafafa\" "
	        "stroke=\"#999\"/>\n",
	        ML, MT, PW, PH);
	for (int k = 0; k <= 4; k++) {
		double y = p->y0 + (p->y1 - p->y0) * k / 4.0;
		double yy = MT + (1.0 - k / 4.0) * PH;
		fprintf(f,
		        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" "
		        "text-anchor=\"end\">%.4g</text>\n",
		        ML - 4, yy + 3, p->logy ? pow(10, y) : y);
	}
	for (int k = 0; k <= 5; k++) {
		double x = p->x0 + (p->x1 - p->x0) * k / 5.0;
		char b[32];
		if (time_x)
			fmt_tod(b, sizeof(b), x);
		else
			snprintf(b, sizeof(b), "%.3g", x);
		fprintf(f,
		        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" "
		        "text-anchor=\"middle\">%s</text>\n",
		        ML + PW * k / 5.0, MT + PH + 14, b);
	}
	fprintf(f,
	        "<text x=\"12\" y=\"%.1f\" font-size=\"11\" transform=\"rotate(-90 12 %.1f)\" "
	        "text-anchor=\"middle\">%s</text>\n",
	        MT + PH / 2, MT + PH / 2, ylabel);
}

/* min/max per column polyline of values v over times t */
static void svg_series(FILE *f, const struct plot *p, const double *t, const double *v, uint64_t n,
                       const char *color)
{
	fprintf(f,
	        "<polyline class=\"series\" fill=\"none\" stroke=\"%s\" stroke-width=\"1\" "
	        "points=\"",
	        color);
	int col = -1;
	double lo = 0, hi = 0;
	for (uint64_t k = 0; k <= n; k++) {
		int c = k < n ? (int)((px_x(p, t[k]) - ML) / PW * (COLS - 1)) : -2;
		if (c != col && col != -1) {
			double x = ML + col * PW / (COLS - 1);
			fprintf(f, "%.1f,%.1f %.1f,%.1f ", x, px_y(p, lo), x, px_y(p, hi));
		}
		if (k == n)
			break;
		if (!isfinite(v[k]))
			continue;
		if (c != col) {
			col = c;
			lo = hi = v[k];
		} else {
			lo = v[k] < lo ? v[k] : lo;
			hi = v[k] > hi ? v[k] : hi;
		}
	}
	fputs("\"/>\n", f);
}

static void svg_episodes(FILE *f, const struct plot *p, const struct tg_bt_inst *bi,
                         const struct tg_bt_series *s)
{
	for (size_t k = 0; k < bi->n_alerts; k++) {
		const struct tg_alert *a = &bi->alerts[k];
		if (a->event != TG_ALERT_OPEN)
			continue;
		uint64_t end = a->last_seq;
		for (size_t z = k + 1; z < bi->n_alerts && bi->alerts[z].alert_id == a->alert_id;
		     z++)
			end = bi->alerts[z].last_seq;
		double x0 = px_x(p, (double)s->ts_ns[a->last_seq]);
		double x1 = px_x(p, (double)s->ts_ns[end < s->n ? end : s->n - 1]);
		fprintf(
		    f,
		    "<rect class=\"episode\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
		    "fill=\"#e33\" fill-opacity=\"0.25\"><title>alert %llu</title></rect>\n",
		    x0, MT, x1 - x0 < 1 ? 1 : x1 - x0, PH, (unsigned long long)a->alert_id);
	}
}

int tg_bt_write_html(const char *path, const struct tg_bt_input *in, const struct tg_bt_result *res,
                     uint32_t i, const struct tg_bt_quality *q)
{
	const struct tg_bt_inst *bi = &res->inst[i];
	const struct tg_bt_series *s = &in->s[i];
	uint64_t n = bi->n_windows;
	double *t = malloc((n ? n : 1) * sizeof(double));
	double *pv = malloc((n ? n : 1) * sizeof(double));
	double *sv = malloc((n ? n : 1) * sizeof(double));
	if (!t || !pv || !sv) {
		free(t);
		free(pv);
		free(sv);
		return -ENOMEM;
	}
	double pmin = DBL_MAX, pmax = -DBL_MAX, smin = DBL_MAX, smax = 0;
	uint64_t nalerts = 0, nanom = 0, nscored = 0;
	for (uint64_t k = 0; k < n; k++) {
		uint64_t tk = bi->w[k].last_tick;
		t[k] = (double)s->ts_ns[tk];
		pv[k] = s->px[tk];
		sv[k] = bi->w[k].status == TG_BT_W_SCORED ? bi->w[k].score : (double)NAN;
		pmin = pv[k] < pmin ? pv[k] : pmin;
		pmax = pv[k] > pmax ? pv[k] : pmax;
		if (isfinite(sv[k]) && sv[k] > 0 && sv[k] < 1e300) {
			smin = sv[k] < smin ? sv[k] : smin;
			smax = sv[k] > smax ? sv[k] : smax;
			nscored++;
			nanom += bi->w[k].anomalous;
		}
	}
	for (size_t k = 0; k < bi->n_alerts; k++)
		nalerts += bi->alerts[k].event == TG_ALERT_OPEN;
	if (smin > smax)
		smin = smax = res->threshold > 0 ? res->threshold : 1;
	double thr = res->threshold;
	double ls0 = log10(fmin(smin, thr > 0 ? thr : smin)),
	       ls1 = log10(fmax(smax, thr > 0 ? thr : smax));
	if (ls1 - ls0 < 0.5)
		ls0 -= 0.25, ls1 += 0.25;
	FILE *f = fopen(path, "w");
	if (!f) {
		int e = -errno;
		free(t);
		free(pv);
		free(sv);
		return e;
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>"
	      "tickguard backtest: ",
	      f);
	html_esc(f, s->name);
	fputs("</title>\n<style>body{font-family:sans-serif;margin:16px}table{border-collapse:"
	      "collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}</style>\n"
	      "</head>\n<body>\n<h1>",
	      f);
	html_esc(f, s->name);
	fputs("</h1>\n<table id=\"summary\">\n", f);
	fprintf(f,
	        "<tr><th>windows reported</th><td>%llu</td></tr>\n<tr><th>scored</th><td>%llu</td>"
	        "</tr>\n<tr><th>anomalous windows</th><td>%llu</td></tr>\n<tr><th>alerts</th><td>"
	        "%llu</td></tr>\n<tr><th>threshold</th><td>%.6g</td></tr>\n<tr><th>window (ticks)"
	        "</th><td>%u</td></tr>\n<tr><th>first reported tick</th><td>%llu</td></tr>\n",
	        (unsigned long long)n, (unsigned long long)nscored, (unsigned long long)nanom,
	        (unsigned long long)nalerts, thr, res->window, (unsigned long long)bi->from_tick);
	if (q)
		fprintf(f,
		        "<tr><th>precision (all instruments)</th><td>%.4f</td></tr>\n<tr><th>recall"
		        "</th><td>%.4f</td></tr>\n<tr><th>F1</th><td>%.4f</td></tr>\n",
		        q->q.precision, q->q.recall, q->f1);
	fputs("</table>\n", f);

	double H = MT + PH + 30;
	/* price */
	struct plot pp = {n ? t[0] : 0, n ? t[n - 1] : 1, pmin, pmax, false};
	if (pp.y1 <= pp.y0)
		pp.y0 -= 1, pp.y1 += 1;
	fprintf(
	    f,
	    "<h2>Price and alert episodes</h2>\n<svg id=\"price\" xmlns=\"http://www.w3.org/2000/"
	    "svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n",
	    ML + PW + 10, H, ML + PW + 10, H);
	svg_axes(f, &pp, "price", in->kind != TG_BT_SERIES);
	svg_episodes(f, &pp, bi, s);
	svg_series(f, &pp, t, pv, n, "#1f5fbf");
	fputs("</svg>\n", f);
	/* score */
	struct plot ps = {pp.x0, pp.x1, ls0, ls1, true};
	fprintf(f,
	        "<h2>Score (reconstruction MSE, log scale) and threshold</h2>\n<svg id=\"score\" "
	        "xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 "
	        "%.0f %.0f\">\n",
	        ML + PW + 10, H, ML + PW + 10, H);
	svg_axes(f, &ps, "score", in->kind != TG_BT_SERIES);
	svg_episodes(f, &ps, bi, s);
	svg_series(f, &ps, t, sv, n, "#333");
	fprintf(f,
	        "<line class=\"threshold\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
	        "stroke=\"#d00\" stroke-dasharray=\"6,3\"><title>threshold %.6g</title></line>\n",
	        ML, px_y(&ps, thr), ML + PW, px_y(&ps, thr), thr);
	fputs("</svg>\n", f);
	/* histogram of log10(score) */
	enum { NB = 50 };
	uint64_t bins[NB] = {0}, bmax = 1;
	for (uint64_t k = 0; k < n; k++) {
		if (!isfinite(sv[k]) || sv[k] <= 0)
			continue;
		double u = (log10(fmin(sv[k], 1e300)) - ls0) / (ls1 - ls0);
		int b = (int)(u * NB);
		b = b < 0 ? 0 : b >= NB ? NB - 1 : b;
		bins[b]++;
	}
	for (int b = 0; b < NB; b++)
		bmax = bins[b] > bmax ? bins[b] : bmax;
	struct plot ph = {ls0, ls1, 0, (double)bmax, false};
	fprintf(f,
	        "<h2>Score histogram (log10 score) with the threshold</h2>\n<svg id=\"histogram\" "
	        "xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 "
	        "%.0f %.0f\">\n",
	        ML + PW + 10, H, ML + PW + 10, H);
	svg_axes(f, &ph, "windows", false);
	for (int b = 0; b < NB; b++) {
		double x = ML + PW * b / NB, y = px_y(&ph, (double)bins[b]);
		fprintf(f,
		        "<rect class=\"bin\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
		        "fill=\"#7a9\"><title>%llu</title></rect>\n",
		        x, y, PW / NB - 1, MT + PH - y, (unsigned long long)bins[b]);
	}
	double tx = thr > 0 ? px_x(&ph, log10(thr)) : ML;
	fprintf(f,
	        "<line class=\"threshold\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
	        "stroke=\"#d00\" stroke-width=\"2\"><title>threshold %.6g</title></line>\n",
	        tx, MT, tx, MT + PH, thr);
	fputs("</svg>\n<p>Normalised score = score / (score + threshold): 0.5 at the threshold."
	      "</p>\n</body>\n</html>\n",
	      f);
	free(t);
	free(pv);
	free(sv);
	int rc = ferror(f) ? -EIO : 0;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	return rc;
}
