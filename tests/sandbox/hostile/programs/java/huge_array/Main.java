// A huge array at once (16 GiB of longs), then the heap grown without end.
// Contained: OutOfMemoryError (runtime_error) or memory_limit; never granted.
import java.util.ArrayList;
import java.util.List;

public class Main {
    public static void main(String[] args) {
        System.out.println("{\"probe\": \"start\", \"ok\": true, \"detail\": \"\"}");
        System.out.flush();
        long[] huge = new long[Integer.MAX_VALUE - 8];
        huge[huge.length - 1] = 1;
        System.out.println("{\"probe\": \"huge_granted\", \"ok\": true, \"detail\": " + huge.length + "}");
        List<long[]> blocks = new ArrayList<>();
        while (true) {
            long[] block = new long[1 << 21];
            java.util.Arrays.fill(block, 7L);
            blocks.add(block);
        }
    }
}
