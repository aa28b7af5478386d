int g(int x) { return x * 3; }
int main(void) { return g(2); }
