/* true: the smallest static program, for whole-process start-up time. */
int main(void) { return 0; }
