// Runtime.exec fork bomb: busy shells (carrying the run's marker) until refused, forever.
// Contained: the process limit refuses them, the run ends on a limit, none survives.
public class Main {
    public static void main(String[] args) throws Exception {
        String marker = args[0];
        int started = 0;
        int refused = 0;
        long end = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < end) {
            try {
                Runtime.getRuntime().exec(new String[] {"/bin/sh", "-c", "while :; do :; done", marker});
                started++;
            } catch (java.io.IOException | Error e) {
                refused++;
                if (refused == 1) {
                    System.out.println("{\"probe\": \"refused_after\", \"ok\": false, \"detail\": " + started + "}");
                    System.out.flush();
                }
            }
        }
        System.out.println("{\"probe\": \"survived_20s\", \"ok\": true, \"detail\": " + started + "}");
    }
}
