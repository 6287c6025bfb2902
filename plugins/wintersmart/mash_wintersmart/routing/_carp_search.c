/* Iterated local search for the CARP with the service directions chosen inside every move
 * evaluation — the native gritting-route search of WinterSMART (routing/native.py).
 *
 * A route is a sequence of required edges whose service directions are not part of the solution
 * but chosen optimally whenever the route is evaluated (the CARP part of Vidal's HGS-CARP, 2017).
 * Every route keeps, per position and direction of its service, the cheapest cost from the depot
 * up to that service (prefix) and from that service back to the depot (suffix); a move is valued
 * as a concatenation of pieces of existing routes — whole prefixes and suffixes in O(1), the
 * pieces between them service by service — with a two-state dynamic program over the
 * directions. So relocations, swaps, 2-opt and 2-opt* (also with a reversed part) are always
 * valued with the best directions of every service they touch, which the node operators of a
 * VRP solver on the two-clients-per-edge encoding cannot do.
 *
 * The search around it: granular local search (HGS's move set, capacity penalised with an
 * adaptive penalty), perturbation by removing a service and its nearest neighbours and
 * re-inserting them greedily, local search only from the services at changed links, late
 * acceptance, and a restart from a random giant tour (optimally split) when the run has converged.
 *
 * Loaded with ctypes (carp_search below), one call per search, no global state: several searches
 * may run in parallel threads (ctypes releases the GIL during the call). The only Python API is an
 * empty module, so that importing every module of the package (as the plugin checker does) works.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef long long cost_t;
#define BIG ((cost_t)1000000000000000LL)

/* ---------------------------------------------------------------- random numbers (xoshiro) */
typedef struct { uint64_t s[4]; } Rng;

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_seed(Rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = splitmix(&seed);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t rng_next(Rng *r)
{
    uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
    return res;
}

static inline int rng_int(Rng *r, int n) { return (int)(rng_next(r) % (uint64_t)n); }

static void shuffle(Rng *r, int *a, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = rng_int(r, i + 1), t = a[i];
        a[i] = a[j]; a[j] = t;
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---------------------------------------------------------------------------- the instance */
typedef struct {
    int n;               /* required edges (services) */
    int K;               /* key vertices; distances between them in D (K × K) */
    const cost_t *D;
    int dep;             /* the depot's key index */
    int *tail, *head;    /* [2n]: tail/head key of service s in direction o at [2s+o] */
    cost_t *c;           /* service cost */
    cost_t *q;           /* demand */
    cost_t Q;            /* capacity */
    int R;               /* routes the search may use */
    int G;               /* granular neighbours per service */
    int *nb;             /* [n·G] */
    int n2;              /* 2n */
    int32_t *dd;         /* [2n × 2n] deadheading between service ends (DD) */
    cost_t *dout, *din;  /* [2n] depot → tail and head → depot */
} Inst;

#define DIST(I, a, b) ((I)->D[(size_t)(a) * (I)->K + (b)])
/* deadheading from service s in direction o to service t in direction p, and from/to the depot */
#define DD(I, s, o, t, p) ((cost_t)(I)->dd[(size_t)(2 * (s) + (o)) * (I)->n2 + 2 * (t) + (p)])
#define DOUT(I, s, o) ((I)->dout[2 * (s) + (o)])
#define DIN(I, s, o) ((I)->din[2 * (s) + (o)])

/* ------------------------------------------------------------------------------- routes */
typedef struct {
    int len;
    int *s;          /* services */
    cost_t *P;       /* [2·len]: depot → … → s[i] served in direction o, ending at its head */
    cost_t *S;       /* [2·len]: from s[i]'s tail in direction o → … → depot */
    cost_t *RP;      /* [2·len]: depot → s[len-1] → … → s[i] (backwards) in direction o, at its head */
    cost_t *RS;      /* [2·len]: from s[i]'s tail in direction o → s[i-1] → … → s[0] → depot */
    cost_t *cum;     /* load of s[0..i] */
    cost_t cost, load;
    long modified;   /* move counter when last changed */
} Route;

typedef struct {
    const Route *r;
    int a, b, rev;   /* positions a..b of r, reversed when rev */
} Piece;

/* DP step: the cheapest cost of ending at the head of service s in each direction. */
static inline __attribute__((always_inline)) void step(const Inst *I, int has, int prev, const cost_t cur[2], int s, cost_t out[2])
{
    for (int o = 0; o < 2; o++) {
        cost_t best;
        if (!has)
            best = DOUT(I, s, o);
        else {
            cost_t a = cur[0] + DD(I, prev, 0, s, o), b = cur[1] + DD(I, prev, 1, s, o);
            best = a < b ? a : b;
        }
        out[o] = best + I->c[s];
    }
}

/* The route's services in the order dir (+1: as they are, -1: backwards): out[2i+o] is the cost
 * from the depot through them up to s[i], served in direction o, ending at its head. */
static void costs_from_depot(const Inst *I, const Route *r, int dir, cost_t *out)
{
    int n = r->len, prev = -1;
    cost_t cur[2] = {0, 0}, nxt[2];
    for (int k = 0; k < n; k++) {
        int i = dir > 0 ? k : n - 1 - k, s = r->s[i];
        step(I, k > 0, prev, cur, s, nxt);
        out[2 * i] = cur[0] = nxt[0];
        out[2 * i + 1] = cur[1] = nxt[1];
        prev = s;
    }
}

/* out[2i+o]: from the tail of s[i] in direction o, on through the services in the order dir, to
 * the depot. */
static void costs_to_depot(const Inst *I, const Route *r, int dir, cost_t *out)
{
    int n = r->len;
    for (int k = 0; k < n; k++) {
        int i = dir > 0 ? n - 1 - k : k, s = r->s[i];
        for (int o = 0; o < 2; o++) {
            cost_t best;
            if (k == 0)
                best = DIN(I, s, o);
            else {
                int j = i + dir, t = r->s[j];
                cost_t a = DD(I, s, o, t, 0) + out[2 * j];
                cost_t b = DD(I, s, o, t, 1) + out[2 * j + 1];
                best = a < b ? a : b;
            }
            out[2 * i + o] = best + I->c[s];
        }
    }
}

static void route_update(const Inst *I, Route *r, long stamp)
{
    int n = r->len;
    r->modified = stamp;
    if (n == 0) {
        r->cost = r->load = 0;
        return;
    }
    costs_from_depot(I, r, 1, r->P);
    costs_to_depot(I, r, 1, r->S);
    /* the same backwards, so that a reversed prefix or suffix (2-opt* with reversal) costs O(1) */
    costs_from_depot(I, r, -1, r->RP);
    costs_to_depot(I, r, -1, r->RS);
    cost_t load = 0;
    for (int i = 0; i < n; i++) {
        load += I->q[r->s[i]];
        r->cum[i] = load;
    }
    cost_t a = r->P[2 * (n - 1)] + DIN(I, r->s[n - 1], 0);
    cost_t b = r->P[2 * (n - 1) + 1] + DIN(I, r->s[n - 1], 1);
    r->cost = a < b ? a : b;
    r->load = load;
}

static inline cost_t piece_load(const Piece *p)
{
    return p->r->cum[p->b] - (p->a > 0 ? p->r->cum[p->a - 1] : 0);
}

/* Cost of the route made of pieces p[0..np) (all non-empty), with the best directions. */
static cost_t eval_pieces(const Inst *I, const Piece *p, int np)
{
    if (np == 0) return 0;
    cost_t cur[2] = {0, 0}, nxt[2];
    int has = 0, prev = -1, i = 0;
    if (!p[0].rev && p[0].a == 0) {
        const Route *r = p[0].r;
        if (np == 1 && p[0].b == r->len - 1) return r->cost;
        cur[0] = r->P[2 * p[0].b];
        cur[1] = r->P[2 * p[0].b + 1];
        prev = r->s[p[0].b];
        has = 1;
        i = 1;
    } else if (p[0].rev && p[0].b == p[0].r->len - 1) { /* a reversed suffix comes first */
        const Route *r = p[0].r;
        cur[0] = r->RP[2 * p[0].a];
        cur[1] = r->RP[2 * p[0].a + 1];
        prev = r->s[p[0].a];
        has = 1;
        i = 1;
    }
    for (; i < np; i++) {
        const Piece *q = &p[i];
        const Route *r = q->r;
        if (i == np - 1 && (q->rev ? q->a == 0 : q->b == r->len - 1)) {
            /* the last piece is a suffix, or a reversed prefix: its cost to the depot is known */
            int first = q->rev ? q->b : q->a;
            const cost_t *tail_cost = q->rev ? r->RS : r->S;
            int s = r->s[first];
            cost_t best = BIG;
            for (int o = 0; o < 2; o++) {
                cost_t in;
                if (!has)
                    in = DOUT(I, s, o);
                else {
                    cost_t a = cur[0] + DD(I, prev, 0, s, o);
                    cost_t b = cur[1] + DD(I, prev, 1, s, o);
                    in = a < b ? a : b;
                }
                cost_t v = in + tail_cost[2 * first + o];
                if (v < best) best = v;
            }
            return best;
        }
        if (!q->rev) {
            for (int k = q->a; k <= q->b; k++) {
                int s = r->s[k];
                step(I, has, prev, cur, s, nxt);
                cur[0] = nxt[0]; cur[1] = nxt[1]; prev = s; has = 1;
            }
        } else {
            for (int k = q->b; k >= q->a; k--) {
                int s = r->s[k];
                step(I, has, prev, cur, s, nxt);
                cur[0] = nxt[0]; cur[1] = nxt[1]; prev = s; has = 1;
            }
        }
    }
    cost_t a = cur[0] + DIN(I, prev, 0);
    cost_t b = cur[1] + DIN(I, prev, 1);
    return a < b ? a : b;
}

/* Best directions of a route's services (backtracking the prefix DP). */
static void route_directions(const Inst *I, const Route *r, int *dir)
{
    int n = r->len;
    if (n == 0) return;
    int last = r->s[n - 1];
    cost_t a = r->P[2 * (n - 1)] + DIN(I, last, 0);
    cost_t b = r->P[2 * (n - 1) + 1] + DIN(I, last, 1);
    int o = a <= b ? 0 : 1;
    dir[n - 1] = o;
    for (int i = n - 1; i > 0; i--) {
        int s = r->s[i], p = r->s[i - 1];
        cost_t need = r->P[2 * i + o] - I->c[s];
        cost_t v0 = r->P[2 * (i - 1)] + DD(I, p, 0, s, o);
        o = (v0 == need) ? 0 : 1;
        dir[i - 1] = o;
    }
}

/* ------------------------------------------------------------------------- local search */
typedef struct {
    const Inst *I;
    Rng *rng;
    Route *routes;
    int *route_of, *pos;
    int *order;
    long *tested;        /* move counter when service u was last tested against all neighbours */
    long moves;
    double pen;          /* penalty per unit of excess load */
    int *buf;            /* scratch for new sequences */
    int *buf2;
    /* selective local search (Accorsi & Vigo's selective vertex caching): after a perturbation
     * only services next to a changed link are examined, and every applied move adds the
     * services at its new links — on long routes a route-level "changed" mark re-examines
     * hundreds of services per iteration */
    int selective;
    char *active;
    int *active_list, n_active;
} LS;

static inline void activate(LS *L, int u)
{
    if (!L->active[u]) {
        L->active[u] = 1;
        L->active_list[L->n_active++] = u;
    }
}

static void activate_all(LS *L)
{
    for (int u = 0; u < L->I->n; u++) activate(L, u);
}

static void clear_active(LS *L)
{
    for (int k = 0; k < L->n_active; k++) L->active[L->active_list[k]] = 0;
    L->n_active = 0;
}

/* the services at the ends of pieces: where a route made of them has new links */
static void activate_ends(LS *L, const Piece *p, int np)
{
    for (int i = 0; i < np; i++) {
        activate(L, p[i].r->s[p[i].a]);
        activate(L, p[i].r->s[p[i].b]);
    }
}

static inline double pcost(const LS *L, cost_t cost, cost_t load)
{
    cost_t ex = load - L->I->Q;
    return (double)cost + (ex > 0 ? L->pen * (double)ex : 0.0);
}

static inline double rcost(const LS *L, const Route *r) { return pcost(L, r->cost, r->load); }

static void add_piece(Piece *p, int *np, const Route *r, int a, int b, int rev)
{
    if (a > b) return;
    p[*np].r = r; p[*np].a = a; p[*np].b = b; p[*np].rev = rev;
    (*np)++;
}

static inline __attribute__((always_inline)) cost_t pieces_load(const Piece *p, int np)
{
    cost_t l = 0;
    for (int i = 0; i < np; i++) l += piece_load(&p[i]);
    return l;
}

static int write_pieces(const Piece *p, int np, int *out)
{
    int m = 0;
    for (int i = 0; i < np; i++) {
        const Route *r = p[i].r;
        if (!p[i].rev)
            for (int k = p[i].a; k <= p[i].b; k++) out[m++] = r->s[k];
        else
            for (int k = p[i].b; k >= p[i].a; k--) out[m++] = r->s[k];
    }
    return m;
}

static void set_route(LS *L, int ri, const int *seq, int m)
{
    Route *r = &L->routes[ri];
    memcpy(r->s, seq, sizeof(int) * m);
    r->len = m;
    for (int k = 0; k < m; k++) {
        L->route_of[seq[k]] = ri;
        L->pos[seq[k]] = k;
    }
    route_update(L->I, r, L->moves);
}

/* Evaluate the change of routes ra (→ pieces pa) and rb (→ pieces pb; rb < 0: one route only);
 * apply it when it improves the penalised cost. ``lbb`` is a lower bound of the new cost of rb
 * (its old cost when rb only gains services: with shortest-path deadheading, inserting a service
 * never makes a route cheaper), which rules most moves out before rb is evaluated. */
static int try_move(LS *L, int ra, const Piece *pa, int na, int rb, const Piece *pb, int nb,
                    cost_t lbb)
{
    const Inst *I = L->I;
    Route *A = &L->routes[ra];
    double old = rcost(L, A), neu;
    cost_t la = pieces_load(pa, na);
    if (rb >= 0) {
        Route *B = &L->routes[rb];
        old += rcost(L, B);
        double pen = pcost(L, 0, la) + pcost(L, 0, pieces_load(pb, nb));
        if (pen + (double)lbb >= old - 1e-9) return 0;
        cost_t ca = eval_pieces(I, pa, na);
        if (pen + (double)ca + (double)lbb >= old - 1e-9) return 0;
        cost_t cb = eval_pieces(I, pb, nb);
        neu = pen + (double)ca + (double)cb;
    } else {
        neu = pcost(L, eval_pieces(I, pa, na), la);
    }
    if (neu >= old - 1e-9) return 0;
    activate_ends(L, pa, na);
    activate_ends(L, pb, nb);
    int ma = write_pieces(pa, na, L->buf);
    int mb = rb >= 0 ? write_pieces(pb, nb, L->buf2) : 0;
    L->moves++;
    set_route(L, ra, L->buf, ma);
    if (rb >= 0) set_route(L, rb, L->buf2, mb);
    return 1;
}

/* All moves of service u with neighbour v (HGS's relocations, swaps, 2-opt, 2-opt*). */
static int moves_uv(LS *L, int u, int v)
{
    int ru = L->route_of[u], rv = L->route_of[v];
    Route *A = &L->routes[ru], *B = &L->routes[rv];
    int pu = L->pos[u], pv = L->pos[v], la = A->len - 1, lb = B->len - 1;
    Piece pa[6], pb[6];
    int na, nb;
    if (ru != rv) {
        /* relocate u after v, and before v */
        for (int after = 1; after >= 0; after--) {
            na = nb = 0;
            add_piece(pa, &na, A, 0, pu - 1, 0); add_piece(pa, &na, A, pu + 1, la, 0);
            int cut = after ? pv : pv - 1;
            add_piece(pb, &nb, B, 0, cut, 0); add_piece(pb, &nb, A, pu, pu, 0);
            add_piece(pb, &nb, B, cut + 1, lb, 0);
            if (try_move(L, ru, pa, na, rv, pb, nb, B->cost)) return 1;
        }
        /* relocate (u, x) after v, as it is and reversed */
        if (pu < la) {
            for (int rev = 0; rev < 2; rev++) {
                na = nb = 0;
                add_piece(pa, &na, A, 0, pu - 1, 0); add_piece(pa, &na, A, pu + 2, la, 0);
                add_piece(pb, &nb, B, 0, pv, 0); add_piece(pb, &nb, A, pu, pu + 1, rev);
                add_piece(pb, &nb, B, pv + 1, lb, 0);
                if (try_move(L, ru, pa, na, rv, pb, nb, B->cost)) return 1;
            }
        }
        /* swap u and v */
        na = nb = 0;
        add_piece(pa, &na, A, 0, pu - 1, 0); add_piece(pa, &na, B, pv, pv, 0);
        add_piece(pa, &na, A, pu + 1, la, 0);
        add_piece(pb, &nb, B, 0, pv - 1, 0); add_piece(pb, &nb, A, pu, pu, 0);
        add_piece(pb, &nb, B, pv + 1, lb, 0);
        if (try_move(L, ru, pa, na, rv, pb, nb, 0)) return 1;
        /* swap (u, x) and v; swap (u, x) and (v, y) */
        if (pu < la) {
            na = nb = 0;
            add_piece(pa, &na, A, 0, pu - 1, 0); add_piece(pa, &na, B, pv, pv, 0);
            add_piece(pa, &na, A, pu + 2, la, 0);
            add_piece(pb, &nb, B, 0, pv - 1, 0); add_piece(pb, &nb, A, pu, pu + 1, 0);
            add_piece(pb, &nb, B, pv + 1, lb, 0);
            if (try_move(L, ru, pa, na, rv, pb, nb, 0)) return 1;
            if (pv < lb) {
                na = nb = 0;
                add_piece(pa, &na, A, 0, pu - 1, 0); add_piece(pa, &na, B, pv, pv + 1, 0);
                add_piece(pa, &na, A, pu + 2, la, 0);
                add_piece(pb, &nb, B, 0, pv - 1, 0); add_piece(pb, &nb, A, pu, pu + 1, 0);
                add_piece(pb, &nb, B, pv + 2, lb, 0);
                if (try_move(L, ru, pa, na, rv, pb, nb, 0)) return 1;
            }
        }
        /* 2-opt*: A[..u] + B[v+1..] | B[..v] + A[u+1..] */
        na = nb = 0;
        add_piece(pa, &na, A, 0, pu, 0); add_piece(pa, &na, B, pv + 1, lb, 0);
        add_piece(pb, &nb, B, 0, pv, 0); add_piece(pb, &nb, A, pu + 1, la, 0);
        if (try_move(L, ru, pa, na, rv, pb, nb, 0)) return 1;
        /* 2-opt* with reversal: A[..u] + rev(B[..v]) | rev(A[u+1..]) + B[v+1..] */
        na = nb = 0;
        add_piece(pa, &na, A, 0, pu, 0); add_piece(pa, &na, B, 0, pv, 1);
        add_piece(pb, &nb, A, pu + 1, la, 1); add_piece(pb, &nb, B, pv + 1, lb, 0);
        if (try_move(L, ru, pa, na, rv, pb, nb, 0)) return 1;
        return 0;
    }
    /* the same route */
    /* relocate u after v / before v */
    for (int after = 1; after >= 0; after--) {
        int w = after ? pv : pv - 1; /* u goes between positions w and w+1 */
        if (w == pu || w == pu - 1) continue;
        na = 0;
        if (pu < w) {
            add_piece(pa, &na, A, 0, pu - 1, 0); add_piece(pa, &na, A, pu + 1, w, 0);
            add_piece(pa, &na, A, pu, pu, 0); add_piece(pa, &na, A, w + 1, la, 0);
        } else {
            add_piece(pa, &na, A, 0, w, 0); add_piece(pa, &na, A, pu, pu, 0);
            add_piece(pa, &na, A, w + 1, pu - 1, 0); add_piece(pa, &na, A, pu + 1, la, 0);
        }
        if (try_move(L, ru, pa, na, -1, NULL, 0, 0)) return 1;
    }
    /* relocate (u, x) after v, as it is and reversed */
    if (pu < la && pv != pu && pv != pu + 1) {
        for (int rev = 0; rev < 2; rev++) {
            if (!rev && pv == pu - 1) continue;
            na = 0;
            if (pv < pu) {
                add_piece(pa, &na, A, 0, pv, 0); add_piece(pa, &na, A, pu, pu + 1, rev);
                add_piece(pa, &na, A, pv + 1, pu - 1, 0); add_piece(pa, &na, A, pu + 2, la, 0);
            } else {
                add_piece(pa, &na, A, 0, pu - 1, 0); add_piece(pa, &na, A, pu + 2, pv, 0);
                add_piece(pa, &na, A, pu, pu + 1, rev); add_piece(pa, &na, A, pv + 1, la, 0);
            }
            if (try_move(L, ru, pa, na, -1, NULL, 0, 0)) return 1;
        }
    }
    /* swap u and v; 2-opt (reverse the stretch between them) */
    int i = pu < pv ? pu : pv, j = pu < pv ? pv : pu;
    na = 0;
    add_piece(pa, &na, A, 0, i - 1, 0); add_piece(pa, &na, A, j, j, 0);
    add_piece(pa, &na, A, i + 1, j - 1, 0); add_piece(pa, &na, A, i, i, 0);
    add_piece(pa, &na, A, j + 1, la, 0);
    if (try_move(L, ru, pa, na, -1, NULL, 0, 0)) return 1;
    for (int k = 0; k < 2; k++) { /* reverse i..j, and i+1..j */
        int a = i + k;
        if (a >= j && k) continue;
        na = 0;
        add_piece(pa, &na, A, 0, a - 1, 0); add_piece(pa, &na, A, a, j, 1);
        add_piece(pa, &na, A, j + 1, la, 0);
        if (try_move(L, ru, pa, na, -1, NULL, 0, 0)) return 1;
    }
    return 0;
}

/* Moves into an empty route: u alone, or the tail of u's route from u on. */
static int moves_empty(LS *L, int u, int re)
{
    int ru = L->route_of[u];
    Route *A = &L->routes[ru];
    if (A->len <= 1) return 0;
    int pu = L->pos[u], la = A->len - 1;
    Piece pa[3], pb[2];
    int na = 0, nb = 0;
    add_piece(pa, &na, A, 0, pu - 1, 0); add_piece(pa, &na, A, pu + 1, la, 0);
    add_piece(pb, &nb, A, pu, pu, 0);
    if (try_move(L, ru, pa, na, re, pb, nb, 0)) return 1;
    if (pu > 0) {
        na = nb = 0;
        add_piece(pa, &na, A, 0, pu - 1, 0);
        add_piece(pb, &nb, A, pu, la, 0);
        if (try_move(L, ru, pa, na, re, pb, nb, 0)) return 1;
    }
    return 0;
}

static int empty_route(const LS *L)
{
    for (int r = 0; r < L->I->R; r++)
        if (L->routes[r].len == 0) return r;
    return -1;
}

/* Selective local search: the active services (and those that applied moves activate) until
 * none is left. */
static void ls_run_selective(LS *L)
{
    const Inst *I = L->I;
    while (L->n_active > 0) {
        int k = rng_int(L->rng, L->n_active), u = L->active_list[k];
        L->active_list[k] = L->active_list[--L->n_active];
        L->active[u] = 0;
        for (int g = 0; g < I->G; g++) {
            int v = I->nb[(size_t)u * I->G + g];
            if (v != u) moves_uv(L, u, v);
        }
        int re = empty_route(L);
        if (re >= 0) moves_empty(L, u, re);
    }
}

/* Local search to a local optimum. ``full``: test every pair; otherwise (after a perturbation)
 * the selective search, or (selective off) only pairs with a route changed since the pair was
 * last tested. */
static void ls_run_from(LS *L, int full)
{
    const Inst *I = L->I;
    int n = I->n;
    if (!full && L->selective) {
        ls_run_selective(L);
        return;
    }
    if (full)
        for (int i = 0; i < n; i++) L->tested[i] = -1;
    shuffle(L->rng, L->order, n);
    int improved = 1;
    for (int loop = full ? 0 : 1; improved; loop++) {
        improved = 0;
        for (int k = 0; k < n; k++) {
            int u = L->order[k];
            long last = L->tested[u];
            L->tested[u] = L->moves;
            for (int g = 0; g < I->G; g++) {
                int v = I->nb[(size_t)u * I->G + g];
                if (v == u) continue;
                long mu = L->routes[L->route_of[u]].modified, mv = L->routes[L->route_of[v]].modified;
                if (loop > 0 && (mu > mv ? mu : mv) <= last) continue;
                if (moves_uv(L, u, v)) improved = 1;
            }
            if (loop > 0) {
                int re = empty_route(L);
                if (re >= 0 && moves_empty(L, u, re)) improved = 1;
            }
        }
    }
    clear_active(L); /* a local optimum: nothing is left to examine */
}

static void ls_run(LS *L) { ls_run_from(L, 1); }

/* -------------------------------------------------------------------------- solutions */
typedef struct {
    int *tour;          /* giant tour: the services route after route */
    int *rlen;          /* length of each route (R entries) */
    cost_t cost, excess;
    double pcost;
} Solution;

typedef void (*progress_fn)(double elapsed, cost_t cost);

typedef struct {
    const Inst *I;
    Rng rng;
    LS ls;
    double pen;         /* penalty per unit of excess load */
    int recent_feas, recent_total;
    Solution *best;        /* best feasible */
    int have_best;
    int *split_pred;
    double *split_pot;
} Search;

static Solution *solution_new(const Inst *I)
{
    Solution *x = calloc(1, sizeof(Solution));
    x->tour = malloc(sizeof(int) * I->n);
    x->rlen = calloc(I->R, sizeof(int));
    return x;
}

static void solution_free(Solution *x)
{
    if (!x) return;
    free(x->tour); free(x->rlen); free(x);
}

static void solution_copy(const Inst *I, Solution *d, const Solution *s)
{
    memcpy(d->tour, s->tour, sizeof(int) * I->n);
    memcpy(d->rlen, s->rlen, sizeof(int) * I->R);
    d->cost = s->cost; d->excess = s->excess; d->pcost = s->pcost;
}

/* Read the LS routes into an individual. */
static void solution_from_ls(Search *h, Solution *x)
{
    const Inst *I = h->I;
    int m = 0;
    x->cost = x->excess = 0;
    for (int r = 0; r < I->R; r++) {
        Route *rt = &h->ls.routes[r];
        x->rlen[r] = rt->len;
        for (int k = 0; k < rt->len; k++) {
            x->tour[m++] = rt->s[k];
        }
        x->cost += rt->cost;
        if (rt->load > I->Q) x->excess += rt->load - I->Q;
    }
    x->pcost = (double)x->cost + h->pen * (double)x->excess;
}

static void ls_load(Search *h, const int *tour, const int *rlen)
{
    int m = 0;
    h->ls.moves++;
    for (int r = 0; r < h->I->R; r++) {
        set_route(&h->ls, r, tour + m, rlen[r]);
        m += rlen[r];
    }
}

/* Optimal split of a giant tour into at most R routes (penalised capacity, best directions),
 * result in rlen. Trips carry at most 1.5 × the capacity; the unbounded split is tried first, a
 * bounded one when it needs more than R routes, and one without the load cap when even that finds
 * none (a fleet far too small: the penalty then rules). */
static void split(Search *h, const int *tour, int *rlen)
{
    const Inst *I = h->I;
    int n = I->n, R = I->R;
    double *pot = h->split_pot;
    int *pr = h->split_pred;
    for (int pass = 0; pass < 3; pass++) {
        cost_t maxload = pass < 2 ? I->Q + I->Q / 2 : LLONG_MAX;
        int kmax = pass ? R : 1; /* pass 0: routes unbounded (one layer) */
        for (int k = 0; k <= kmax; k++)
            for (int j = 0; j <= n; j++) pot[(size_t)k * (n + 1) + j] = 1e300;
        pot[0] = 0;
        for (int k = 0; k < kmax; k++) {
            double *from = pot + (size_t)(pass ? k : 0) * (n + 1);
            double *to = pot + (size_t)(pass ? k + 1 : 0) * (n + 1);
            int *pk = pr + (size_t)(pass ? k + 1 : 0) * (n + 1);
            for (int i = 0; i < n; i++) {
                if (from[i] >= 1e299) continue;
                cost_t cur[2] = {0, 0}, nxt[2], load = 0;
                int prev = -1;
                for (int j = i; j < n; j++) {
                    int s = tour[j];
                    load += I->q[s];
                    if (load > maxload && j > i) break;
                    step(I, j > i, prev, cur, s, nxt);
                    cur[0] = nxt[0]; cur[1] = nxt[1]; prev = s;
                    cost_t a = cur[0] + DIN(I, s, 0);
                    cost_t b = cur[1] + DIN(I, s, 1);
                    double v = from[i] + pcost(&h->ls, a < b ? a : b, load);
                    if (v < to[j + 1]) { to[j + 1] = v; pk[j + 1] = i; }
                }
            }
        }
        if (!pass) {
            int cnt = 0;
            for (int j = n; j > 0; j = pr[j]) cnt++;
            if (cnt <= R) {
                for (int r = 0; r < R; r++) rlen[r] = 0;
                int r = cnt - 1;
                for (int j = n; j > 0; j = pr[j]) rlen[r--] = j - pr[j];
                return;
            }
        } else {
            int kb = 1;
            for (int k = 1; k <= R; k++)
                if (pot[(size_t)k * (n + 1) + n] < pot[(size_t)kb * (n + 1) + n]) kb = k;
            if (pot[(size_t)kb * (n + 1) + n] >= 1e299) continue; /* pass 1 only */
            for (int r = 0; r < R; r++) rlen[r] = 0;
            int j = n;
            for (int k = kb; k > 0; k--) {
                int i = pr[(size_t)k * (n + 1) + j];
                rlen[k - 1] = j - i;
                j = i;
            }
            return;
        }
    }
}

/* ---------------------------------------------------------------- iterated local search */
static void remove_service(LS *L, int u)
{
    int ru = L->route_of[u], pu = L->pos[u];
    Route *A = &L->routes[ru];
    Piece pa[2];
    int na = 0;
    add_piece(pa, &na, A, 0, pu - 1, 0);
    add_piece(pa, &na, A, pu + 1, A->len - 1, 0);
    activate_ends(L, pa, na);
    int m = write_pieces(pa, na, L->buf);
    L->moves++;
    set_route(L, ru, L->buf, m);
    L->route_of[u] = -1;
}

/* Insert u where it costs least (penalised) next to one of its routed neighbours, or alone in an
 * empty route; ``holder`` is a one-service route used as the piece for u. */
static void insert_service(LS *L, int u, Route *holder)
{
    const Inst *I = L->I;
    holder->len = 1;
    holder->s[0] = u;
    route_update(I, holder, 0);
    double best = 1e300;
    int br = -1, bw = 0;
    Piece pb[3];
    int nb;
    for (int g = 0; g < I->G; g++) {
        int v = I->nb[(size_t)u * I->G + g], rv = L->route_of[v];
        if (rv < 0) continue;
        Route *B = &L->routes[rv];
        for (int after = 1; after >= 0; after--) {
            int w = after ? L->pos[v] : L->pos[v] - 1;
            nb = 0;
            add_piece(pb, &nb, B, 0, w, 0); add_piece(pb, &nb, holder, 0, 0, 0);
            add_piece(pb, &nb, B, w + 1, B->len - 1, 0);
            double d = pcost(L, eval_pieces(I, pb, nb), B->load + I->q[u]) - rcost(L, B);
            if (d < best) { best = d; br = rv; bw = w; }
        }
    }
    for (int r = 0; r < I->R; r++) {
        Route *B = &L->routes[r];
        if (B->len == 0) {
            double d = pcost(L, holder->cost, I->q[u]);
            if (d < best) { best = d; br = r; bw = -1; }
            break;
        }
    }
    if (br < 0) { /* no neighbour routed and no empty route: the end of the cheapest route */
        for (int r = 0; r < I->R; r++) {
            Route *B = &L->routes[r];
            nb = 0;
            add_piece(pb, &nb, B, 0, B->len - 1, 0); add_piece(pb, &nb, holder, 0, 0, 0);
            double d = pcost(L, eval_pieces(I, pb, nb), B->load + I->q[u]) - rcost(L, B);
            if (d < best) { best = d; br = r; bw = B->len - 1; }
        }
    }
    Route *B = &L->routes[br];
    nb = 0;
    add_piece(pb, &nb, B, 0, bw, 0); add_piece(pb, &nb, holder, 0, 0, 0);
    add_piece(pb, &nb, B, bw + 1, B->len - 1, 0);
    activate_ends(L, pb, nb);
    int m = write_pieces(pb, nb, L->buf);
    L->moves++;
    set_route(L, br, L->buf, m);
}

typedef struct {
    int *s;         /* R × n: the accepted solution's routes */
    int *len;
    long stamp;     /* LS move counter when it was taken */
} Snapshot;

static void snapshot_take(LS *L, Snapshot *z)
{
    const Inst *I = L->I;
    for (int r = 0; r < I->R; r++) {
        Route *rt = &L->routes[r];
        if (rt->modified > z->stamp || z->len[r] < 0) {
            z->len[r] = rt->len;
            memcpy(z->s + (size_t)r * I->n, rt->s, sizeof(int) * rt->len);
        }
    }
    z->stamp = L->moves;
}

static void snapshot_restore(LS *L, Snapshot *z)
{
    const Inst *I = L->I;
    for (int r = 0; r < I->R; r++)
        if (L->routes[r].modified > z->stamp) {
            L->moves++;
            set_route(L, r, z->s + (size_t)r * I->n, z->len[r]);
        }
    z->stamp = L->moves;
}

/* Iterated local search: remove a service and some of its neighbours, reinsert them greedily,
 * local search on what changed; late acceptance over ``hist_len`` iterations; restart from a
 * random solution after ``patience`` iterations without a better one. */
static void ils(Search *h, const int *init_tour, double t0, double deadline, long max_iters,
                long patience, const double *prm, progress_fn cb, long *it_out, long *restarts_out)
{
    const Inst *I = h->I;
    LS *L = &h->ls;
    int n = I->n, R = I->R;
    const int hist_len = (int)prm[0], maxk = I->G + 1 < (int)prm[1] ? I->G + 1 : (int)prm[1];
    const double feas_lo = prm[2], feas_hi = prm[3], pen_up = prm[4], pen_down = prm[5];
    double *hist = malloc(sizeof(double) * hist_len);
    int *tour = malloc(sizeof(int) * n), *rlen = malloc(sizeof(int) * R);
    int *removed = malloc(sizeof(int) * (maxk + 1));
    Snapshot z = {0};
    z.s = malloc(sizeof(int) * (size_t)R * n);
    z.len = malloc(sizeof(int) * R);
    Route holder = {0};
    holder.s = malloc(sizeof(int)); holder.P = malloc(sizeof(cost_t) * 2);
    holder.S = malloc(sizeof(cost_t) * 2); holder.cum = malloc(sizeof(cost_t));
    holder.RP = malloc(sizeof(cost_t) * 2); holder.RS = malloc(sizeof(cost_t) * 2);
    Solution *cand = solution_new(I);
    long it = 0, restarts = 0;
    int stop = 0;
    while (!stop) {
        if (init_tour && restarts == 0)
            memcpy(tour, init_tour, sizeof(int) * n);
        else {
            for (int i = 0; i < n; i++) tour[i] = i;
            shuffle(&h->rng, tour, n);
        }
        L->pen = h->pen;
        split(h, tour, rlen);
        ls_load(h, tour, rlen);
        ls_run(L);
        solution_from_ls(h, cand);
        for (int r = 0; r < R; r++) z.len[r] = -1;
        snapshot_take(L, &z);
        cost_t cur_cost = cand->cost, cur_ex = cand->excess;
        double cur = cand->pcost;
        for (int k = 0; k < hist_len; k++) hist[k] = cur;
        cost_t run_best = BIG;
        long since = 0;
        while (!stop) {
            if (cand->excess == 0) {
                if (cand->cost < run_best) { run_best = cand->cost; since = 0; }
                if (!h->have_best || cand->cost < h->best->cost) {
                    solution_copy(I, h->best, cand);
                    h->have_best = 1;
                    if (cb) cb(now_s() - t0, cand->cost);
                }
            }
            if (since >= patience) break;
            if (max_iters > 0 ? it >= max_iters : now_s() >= deadline) { stop = 1; break; }
            /* perturb */
            int k = 1 + rng_int(&h->rng, maxk), u0 = rng_int(&h->rng, n), m = 0;
            removed[m++] = u0;
            for (int g = 0; g < I->G && m < k; g++) {
                int v = I->nb[(size_t)u0 * I->G + g];
                if (v != u0) removed[m++] = v;
            }
            for (int i = 0; i < m; i++) remove_service(L, removed[i]);
            shuffle(&h->rng, removed, m);
            for (int i = 0; i < m; i++) insert_service(L, removed[i], &holder);
            ls_run_from(L, 0);
            solution_from_ls(h, cand);
            it++;
            since++;
            h->recent_total++;
            if (cand->excess == 0) h->recent_feas++;
            double slot = hist[it % hist_len];
            if (cand->pcost < cur || cand->pcost < slot) {
                cur = cand->pcost; cur_cost = cand->cost; cur_ex = cand->excess;
                snapshot_take(L, &z);
            } else {
                snapshot_restore(L, &z);
            }
            if (cur < slot) hist[it % hist_len] = cur;
            if (it % 100 == 0) {
                double frac = (double)h->recent_feas / h->recent_total, old = h->pen;
                if (frac < feas_lo) h->pen *= pen_up;
                else if (frac > feas_hi) h->pen *= pen_down;
                if (h->pen < 0.1) h->pen = 0.1;
                if (h->pen > 100000) h->pen = 100000;
                h->recent_feas = h->recent_total = 0;
                if (h->pen != old) { /* every pair must be tested again under the new penalty */
                    L->pen = h->pen;
                    for (int i = 0; i < n; i++) L->tested[i] = -1;
                    if (L->selective) activate_all(L);
                    cur = (double)cur_cost + h->pen * (double)cur_ex;
                }
            }
        }
        restarts += !stop;
    }
    *it_out = it;
    *restarts_out = restarts;
    solution_free(cand);
    free(holder.s); free(holder.P); free(holder.S); free(holder.cum); free(holder.RP); free(holder.RS);
    free(z.s); free(z.len); free(hist); free(tour); free(rlen); free(removed);
}

/* --------------------------------------------------------------------------- entry point */
/* Search; returns the best feasible cost (-1: none found) with its routes: route r has
 * out_rlen[r] services, in out_tour order, served in direction out_dir (0: as tail[2s] →
 * head[2s], 1: as tail[2s+1] → head[2s+1]). At most R routes (the fleet bound, or the search's
 * room when the fleet is free). ``init_tour`` (n services, or NULL) is a warm start. The search
 * stops at ``time_limit`` seconds, or after ``max_iters`` iterations when that is > 0.
 * prm: history length, most services removed per perturbation, feasible share low/high, penalty
 * factors up/down, selective local search (0/1). stats: iterations, restarts. */
cost_t carp_search(
    int n, int K, const cost_t *D, int dep,
    const int *tail, const int *head, const cost_t *c, const cost_t *q, cost_t Q,
    int R, const int *nb, int G,
    double time_limit, long max_iters, long patience, uint64_t seed, const double *prm,
    const int *init_tour,
    int *out_tour, int *out_rlen, int *out_dir, long *stats, progress_fn cb)
{
    double t0 = now_s();
    Inst I = {0};
    I.n = n; I.K = K; I.D = D; I.dep = dep;
    I.tail = (int *)tail; I.head = (int *)head; I.c = (cost_t *)c; I.q = (cost_t *)q; I.Q = Q;
    I.R = R; I.G = G; I.nb = (int *)nb;
    /* the deadheading between service ends in one table (int32: capped far above any real
     * distance), so a DP step reads one entry instead of two indices and the key matrix */
    I.n2 = 2 * n;
    I.dd = malloc(sizeof(int32_t) * (size_t)I.n2 * I.n2);
    I.dout = malloc(sizeof(cost_t) * I.n2);
    I.din = malloc(sizeof(cost_t) * I.n2);
    for (int a = 0; a < I.n2; a++) {
        I.dout[a] = DIST(&I, dep, tail[a]);
        I.din[a] = DIST(&I, head[a], dep);
        for (int b = 0; b < I.n2; b++) {
            cost_t d = DIST(&I, head[a], tail[b]);
            I.dd[(size_t)a * I.n2 + b] = (int32_t)(d < 2000000000LL ? d : 2000000000LL);
        }
    }

    Search h;
    memset(&h, 0, sizeof h);
    h.I = &I;
    rng_seed(&h.rng, seed);
    h.split_pot = malloc(sizeof(double) * (size_t)(R + 1) * (n + 1));
    h.split_pred = malloc(sizeof(int) * (size_t)(R + 1) * (n + 1));
    h.best = solution_new(&I);

    LS *L = &h.ls;
    L->I = &I; L->rng = &h.rng;
    L->routes = calloc(R, sizeof(Route));
    for (int r = 0; r < R; r++) {
        L->routes[r].s = malloc(sizeof(int) * n);
        L->routes[r].P = malloc(sizeof(cost_t) * 2 * n);
        L->routes[r].S = malloc(sizeof(cost_t) * 2 * n);
        L->routes[r].RP = malloc(sizeof(cost_t) * 2 * n);
        L->routes[r].RS = malloc(sizeof(cost_t) * 2 * n);
        L->routes[r].cum = malloc(sizeof(cost_t) * n);
    }
    L->route_of = malloc(sizeof(int) * n);
    L->pos = malloc(sizeof(int) * n);
    L->order = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++) L->order[i] = i;
    L->tested = malloc(sizeof(long) * n);
    L->buf = malloc(sizeof(int) * n);
    L->buf2 = malloc(sizeof(int) * n);
    L->active = calloc(n, 1);
    L->active_list = malloc(sizeof(int) * n);
    L->n_active = 0;
    L->selective = prm[6] != 0.0;

    /* initial penalty as in HGS: the largest depot distance per unit of the largest demand */
    cost_t maxd = 1, maxq = 1;
    for (int s = 0; s < n; s++) {
        if (DOUT(&I, s, 0) > maxd) maxd = DOUT(&I, s, 0);
        if (q[s] > maxq) maxq = q[s];
    }
    h.pen = (double)maxd / (double)maxq;
    if (h.pen < 0.1) h.pen = 0.1;
    if (h.pen > 1000) h.pen = 1000;
    L->pen = h.pen;

    long it = 0, restarts = 0;
    ils(&h, init_tour, t0, t0 + time_limit, max_iters, patience, prm, cb, &it, &restarts);

    cost_t result = -1;
    if (h.have_best) {
        result = h.best->cost;
        memcpy(out_tour, h.best->tour, sizeof(int) * n);
        memcpy(out_rlen, h.best->rlen, sizeof(int) * R);
        ls_load(&h, h.best->tour, h.best->rlen);
        int m = 0;
        for (int r = 0; r < R; r++) {
            route_directions(&I, &L->routes[r], out_dir + m);
            m += L->routes[r].len;
        }
    }
    stats[0] = it;
    stats[1] = restarts;

    solution_free(h.best);
    free(h.split_pot); free(h.split_pred);
    for (int r = 0; r < R; r++) {
        free(L->routes[r].s); free(L->routes[r].P); free(L->routes[r].S); free(L->routes[r].cum);
        free(L->routes[r].RP); free(L->routes[r].RS);
    }
    free(L->routes); free(L->route_of); free(L->pos); free(L->order); free(L->tested);
    free(L->buf); free(L->buf2); free(L->active); free(L->active_list);
    free(I.dd); free(I.dout); free(I.din);
    return result;
}

static struct PyModuleDef carp_search_module = {
    PyModuleDef_HEAD_INIT, "_carp_search",
    "Native CARP search; its function carp_search is called through ctypes (routing/native.py).",
    -1, NULL, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__carp_search(void) { return PyModule_Create(&carp_search_module); }
