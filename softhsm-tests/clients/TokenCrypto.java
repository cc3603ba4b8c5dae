import java.security.*;
import java.security.cert.Certificate;
import java.security.spec.*;
import javax.crypto.*;
import javax.crypto.spec.*;
import java.util.Arrays;

/** Uses keys on the token through SunPKCS11: signatures, RSA-OAEP decryption, AES/GCM. */
public class TokenCrypto {
    public static void main(String[] args) throws Exception {
        Provider p = Security.getProvider("SunPKCS11").configure(args[0]);
        Security.addProvider(p);
        KeyStore ks = KeyStore.getInstance("PKCS11", p);
        ks.load(null, args[1].toCharArray());
        byte[] data = "signed in Java with a token key".getBytes("UTF-8");
        String rsa = args[2], ec = args[3];

        PrivateKey rsaKey = (PrivateKey) ks.getKey(rsa, null);
        PublicKey rsaPub = ks.getCertificate(rsa).getPublicKey();
        check("SHA256withRSA", rsaKey, rsaPub, data, null, p);
        check("RSASSA-PSS", rsaKey, rsaPub, data,
              new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1), p);
        PrivateKey ecKey = (PrivateKey) ks.getKey(ec, null);
        check("SHA256withECDSA", ecKey, ks.getCertificate(ec).getPublicKey(), data, null, p);

        // JDK 17's SunPKCS11 offers RSA decryption with PKCS1Padding and NoPadding only (no OAEP).
        Cipher enc = Cipher.getInstance("RSA/ECB/PKCS1Padding");
        enc.init(Cipher.ENCRYPT_MODE, rsaPub);
        byte[] ct = enc.doFinal(data);
        Cipher dec = Cipher.getInstance("RSA/ECB/PKCS1Padding", p);
        dec.init(Cipher.DECRYPT_MODE, rsaKey);
        expect(Arrays.equals(dec.doFinal(ct), data), "RSA PKCS#1 decrypt");
        System.out.println("RSA/ECB/PKCS1Padding decrypt OK");

        KeyGenerator kg = KeyGenerator.getInstance("AES", p);
        kg.init(256);
        SecretKey aes = kg.generateKey();
        byte[] iv = new byte[12];
        new SecureRandom().nextBytes(iv);
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding", p);
        gcm.init(Cipher.ENCRYPT_MODE, aes, new GCMParameterSpec(128, iv));
        gcm.updateAAD("header".getBytes("UTF-8"));
        byte[] sealed = gcm.doFinal(data);
        gcm.init(Cipher.DECRYPT_MODE, aes, new GCMParameterSpec(128, iv));
        gcm.updateAAD("header".getBytes("UTF-8"));
        expect(Arrays.equals(gcm.doFinal(sealed), data), "AES/GCM round trip");
        System.out.println("AES/GCM OK");
    }

    static void check(String alg, PrivateKey key, PublicKey pub, byte[] data, AlgorithmParameterSpec spec, Provider p) throws Exception {
        Signature s = Signature.getInstance(alg, p);
        if (spec != null) s.setParameter(spec);
        s.initSign(key);
        s.update(data);
        byte[] sig = s.sign();
        Signature v = Signature.getInstance(alg);   // verified by the JDK's own provider
        if (spec != null) v.setParameter(spec);
        v.initVerify(pub);
        v.update(data);
        expect(v.verify(sig), alg);
        System.out.println(alg + " OK");
    }

    static void expect(boolean ok, String what) {
        if (!ok) throw new AssertionError(what + " failed");
    }
}
