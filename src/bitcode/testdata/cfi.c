struct ops { int (*f)(int); };
static int g(int x) { return x * 3; }
const struct ops o = { g };
int call(const struct ops *p, int v) { return p->f(v) + 1; }
int main(void) { return call(&o, 2); }
