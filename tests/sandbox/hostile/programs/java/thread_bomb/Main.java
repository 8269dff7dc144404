// Thread bomb: sleeping threads until the JVM cannot create one more.
// Contained: the process limit stops it after a few dozen.
public class Main {
    public static void main(String[] args) {
        int count = 0;
        String error = "";
        try {
            while (count < 5000) {
                Thread thread = new Thread(() -> {
                    try {
                        Thread.sleep(60_000);
                    } catch (InterruptedException e) {
                        return;
                    }
                });
                thread.setDaemon(true);
                thread.start();
                count++;
            }
        } catch (Throwable e) {
            error = e.getClass().getSimpleName();
        }
        System.out.println("{\"probe\": \"threads\", \"ok\": " + (count >= 5000) + ", \"detail\": {\"count\": "
                + count + ", \"error\": \"" + error + "\"}}");
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }
}
